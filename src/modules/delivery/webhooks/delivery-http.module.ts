import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery.module';
import { DeliveryHttpSetup } from './delivery-http.setup';
import { DeliveryWebhooksController, GenericWebhookSignatureGuard } from './delivery-webhooks.controller';
import { DeliveryWebhooksService } from './delivery-webhooks.service';
import { ProviderEventsService } from './provider-events.service';

/** The API side of delivery: provider webhooks (never in the worker process). */
@Module({
  imports: [DeliveryModule],
  controllers: [DeliveryWebhooksController],
  providers: [DeliveryWebhooksService, ProviderEventsService, GenericWebhookSignatureGuard, DeliveryHttpSetup],
})
export class DeliveryHttpModule {}
