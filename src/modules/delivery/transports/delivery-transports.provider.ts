import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { deliveryConfig } from '../../../config/delivery.config';
import type { DeliveryChannel } from '../delivery-destination';
import { TWILIO_WEBHOOK_PATH } from '../delivery.constants';
import type { DeliveryTransport } from './delivery-transport';
import { LogTransport } from './log.transport';
import { SmtpTransport } from './smtp.transport';
import { TwilioSmsTransport } from './twilio-sms.transport';
import { WhatsappCloudTransport } from './whatsapp-cloud.transport';

type Config = ConfigType<typeof deliveryConfig>;

/**
 * The registration table: which class serves a channel under the configured provider.
 * Adding a provider = one DeliveryTransport class + one line here (+ its config values).
 */
const REGISTRATIONS: Record<DeliveryChannel, (config: Config) => DeliveryTransport> = {
  email: (config) =>
    config.smtpUrl
      ? new SmtpTransport(config.smtpUrl, config.mailFrom, config.providerTimeoutMs)
      : new LogTransport('email'),
  sms: (config) =>
    config.smsProvider === 'twilio' && config.twilio
      ? new TwilioSmsTransport(config.twilio, config.providerTimeoutMs, (messageId) =>
          config.publicBaseUrl
            ? `${config.publicBaseUrl}${TWILIO_WEBHOOK_PATH}?messageId=${encodeURIComponent(messageId)}`
            : undefined,
        )
      : new LogTransport('sms'),
  whatsapp: (config) =>
    config.whatsappProvider === 'cloud-api' && config.whatsapp
      ? new WhatsappCloudTransport(config.whatsapp, config.providerTimeoutMs)
      : new LogTransport('whatsapp'),
};

/** The transport of each channel for this process, built once from the configuration. */
@Injectable()
export class DeliveryTransports implements OnApplicationShutdown {
  private readonly byChannel = new Map<DeliveryChannel, DeliveryTransport>();

  constructor(@Inject(deliveryConfig.KEY) private readonly config: Config) {}

  for(channel: DeliveryChannel): DeliveryTransport {
    let transport = this.byChannel.get(channel);
    if (!transport) {
      transport = REGISTRATIONS[channel](this.config);
      this.byChannel.set(channel, transport);
    }
    return transport;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const transport of this.byChannel.values()) await transport.close?.();
  }
}
