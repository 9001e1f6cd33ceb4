import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { MetricsListener } from './metrics-listener';

@Module({ controllers: [HealthController], providers: [MetricsListener] })
export class HealthModule {}
