import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AdminWebhooksController } from './admin-webhooks.controller';
import { WEBHOOK_QUEUE } from './webhook.constants';
import { WebhookDelivery, WebhookEndpoint } from './webhook.entities';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpoints } from './webhook-endpoints.service';
import { WebhookSending } from './webhook-sending.service';
import { WebhookWorker } from './webhook.worker';

/**
 * Outbound event webhooks, producer side: every process whose events other systems hear of
 * (the API, and the worker for bounces). The admin routes are WebhooksHttpModule's; the sender
 * WebhookWorkerModule's.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([WebhookEndpoint, WebhookDelivery]),
    BullModule.registerQueue({ name: WEBHOOK_QUEUE }),
    UsersModule,
  ],
  providers: [WebhookEndpoints, WebhookDeliveries, WebhookDispatcher],
  exports: [WebhookEndpoints, WebhookDeliveries, BullModule],
})
export class WebhooksModule {}

/** The admin API of endpoints and deliveries. */
@Module({ imports: [WebhooksModule], controllers: [AdminWebhooksController] })
export class WebhooksHttpModule {}

/** The BullMQ worker that sends deliveries (APP_ROLE=all in the API process, or worker alone). */
@Module({ imports: [WebhooksModule], providers: [WebhookSending, WebhookWorker] })
export class WebhookWorkerModule {}
