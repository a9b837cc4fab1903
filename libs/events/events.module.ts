import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TenantEvent } from './event.entity.js';
import { EventsService } from './events.service.js';
import { LiveEvents } from './live-events.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TenantEvent])],
  providers: [EventsService, LiveEvents],
  exports: [EventsService, LiveEvents],
})
export class EventsModule {}
