import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppsModule } from '../apps/apps.module.js';
import { Plan } from './plan.entity.js';
import { PlansService } from './plans.service.js';

@Module({
  // AppsModule provides the usage reader a downgrade is checked against.
  imports: [TypeOrmModule.forFeature([Plan]), AppsModule],
  providers: [PlansService],
  exports: [PlansService],
})
export class PlansModule {}
