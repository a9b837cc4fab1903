import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { EgressLedger } from './egress-ledger.js';
import { MeterLoop } from './meter-loop.js';
import { UsageMeter } from './usage-meter.js';
import { UsageService } from './usage.service.js';

@Module({
  providers: [
    {
      provide: UsageMeter,
      useFactory: (dataSource: DataSource, config: BerthConfig) =>
        new UsageMeter(dataSource, { windowSeconds: config.usageWindowSeconds }),
      inject: [getDataSourceToken(), BERTH_CONFIG],
    },
    MeterLoop,
    UsageService,
    EgressLedger,
  ],
  exports: [UsageMeter, UsageService, EgressLedger],
})
export class MeteringModule {}
