import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { MetricsService } from '../../common/metrics/metrics.service';
import { DELIVERY_QUEUE } from './delivery.constants';

const STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
const INTERVAL_MS = 15_000;

/** Samples the queue's depth for the delivery_queue_depth gauge; a sampling failure only leaves the last value. */
@Injectable()
export class DeliveryQueueMetrics implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), INTERVAL_MS);
    this.timer.unref();
  }

  async sample(): Promise<void> {
    try {
      const counts = await this.queue.getJobCounts(...STATES);
      for (const state of STATES) this.metrics.queueDepth.labels(state).set(counts[state] ?? 0);
    } catch {
      // Redis unavailable: readiness reports it; the gauge keeps its last known value.
    }
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
