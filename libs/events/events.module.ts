import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantEvent } from './event.entity.js';
import { EventsService } from './events.service.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TenantEvent])],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
