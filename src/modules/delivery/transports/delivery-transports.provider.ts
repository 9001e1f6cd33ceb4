import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MetricsService } from '../../../common/metrics/metrics.service';
import { deliveryConfig, type SmsProviderName } from '../../../config/delivery.config';
import { TenantsService } from '../../tenants/tenants.service';
import type { DeliveryChannel } from '../delivery-destination';
import { TWILIO_WEBHOOK_PATH } from '../delivery.constants';
import { ProviderCircuitBreaker } from '../provider-circuit-breaker';
import type { DeliveryTransport } from './delivery-transport';
import { LogTransport } from './log.transport';
import { SmsFailoverTransport } from './sms-failover.transport';
import { SmtpTransport } from './smtp.transport';
import { TwilioSmsTransport } from './twilio-sms.transport';
import { VonageSmsTransport } from './vonage-sms.transport';
import { WhatsappCloudTransport } from './whatsapp-cloud.transport';

type Config = ConfigType<typeof deliveryConfig>;

/**
 * The registration tables: which class serves a channel (or, for SMS, each configured provider).
 * Adding a provider = one DeliveryTransport class + one line here (+ its config values).
 */
const SMS_REGISTRATIONS: Record<SmsProviderName, (config: Config) => DeliveryTransport> = {
  log: () => new LogTransport('sms'),
  twilio: (config) =>
    new TwilioSmsTransport(config.twilio!, config.providerTimeoutMs, (messageId) =>
      config.publicBaseUrl
        ? `${config.publicBaseUrl}${TWILIO_WEBHOOK_PATH}?messageId=${encodeURIComponent(messageId)}`
        : undefined,
    ),
  vonage: (config) => new VonageSmsTransport(config.vonage!, config.providerTimeoutMs),
};

const REGISTRATIONS: Record<Exclude<DeliveryChannel, 'sms'>, (config: Config) => DeliveryTransport> = {
  email: (config) =>
    config.smtpUrl
      ? new SmtpTransport(config.smtpUrl, config.mailFrom, config.providerTimeoutMs)
      : new LogTransport('email'),
  whatsapp: (config) =>
    config.whatsappProvider === 'cloud-api' && config.whatsapp
      ? new WhatsappCloudTransport(config.whatsapp, config.providerTimeoutMs)
      : new LogTransport('whatsapp'),
};

/** The transport of each channel for this process, built once from the configuration. */
@Injectable()
export class DeliveryTransports implements OnApplicationShutdown {
  private readonly byChannel = new Map<DeliveryChannel, DeliveryTransport>();

  constructor(
    @Inject(deliveryConfig.KEY) private readonly config: Config,
    private readonly breaker: ProviderCircuitBreaker,
    private readonly metrics: MetricsService,
    private readonly tenants: TenantsService,
  ) {}

  for(channel: DeliveryChannel): DeliveryTransport {
    let transport = this.byChannel.get(channel);
    if (!transport) {
      transport = channel === 'sms' ? this.sms() : REGISTRATIONS[channel](this.config);
      this.byChannel.set(channel, transport);
    }
    return transport;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const transport of this.byChannel.values()) await transport.close?.();
  }

  /** One provider as it is; several in the configured order, failing over (per tenant order: `smsProviders`). */
  private sms(): DeliveryTransport {
    const providers = this.config.smsProviders.map((name) => SMS_REGISTRATIONS[name](this.config));
    if (providers.length === 1) return providers[0];
    return new SmsFailoverTransport(providers, this.breaker, this.metrics, async (tenantId) =>
      tenantId ? (await this.tenants.settingsOf(tenantId)).smsProviders : undefined,
    );
  }
}
