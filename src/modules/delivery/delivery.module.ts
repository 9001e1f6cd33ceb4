import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DeliveryMessage } from './delivery-message.entity';
import { DeliveryQueueMetrics } from './delivery-queue.metrics';
import { DeliverySuppression } from './delivery-suppression.entity';
import { DELIVERY_QUEUE } from './delivery.constants';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryQueryService } from './delivery-query.service';
import { DeliveryService } from './delivery.service';
import { DestinationHasher } from './destination-hasher';
import { DeliveryWorker } from './delivery.worker';
import { DeliveryFallbacks } from './delivery-fallbacks.service';
import { ProviderCircuitBreaker } from './provider-circuit-breaker';
import { PhoneDestinationPolicy } from './phone-destination.policy';
import { SmsBudget } from './sms-budget';
import { SuppressionListService } from './suppression-list.service';
import { DeliveryTransports } from './transports/delivery-transports.provider';

/**
 * The producer and read side of delivery: every process that sends messages or answers admins.
 * The worker is DeliveryWorkerModule, added only where APP_ROLE runs it.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([DeliveryMessage, DeliverySuppression]),
    BullModule.registerQueue({ name: DELIVERY_QUEUE }),
  ],
  providers: [
    DeliveryService,
    DeliveryQueryService,
    DestinationHasher,
    SuppressionListService,
    DeliveryQueueMetrics,
    PhoneDestinationPolicy,
    SmsBudget,
  ],
  exports: [
    DeliveryService,
    DeliveryQueryService,
    DestinationHasher,
    SuppressionListService,
    PhoneDestinationPolicy,
    SmsBudget,
    BullModule,
  ],
})
export class DeliveryModule {}

/** The BullMQ worker that sends the messages (APP_ROLE=all in the API process, or worker alone). */
@Module({
  imports: [DeliveryModule],
  providers: [DeliveryTransports, ProviderCircuitBreaker, DeliveryProcessor, DeliveryWorker, DeliveryFallbacks],
})
export class DeliveryWorkerModule {}
