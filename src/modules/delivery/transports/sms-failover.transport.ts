import type { MetricsService } from '../../../common/metrics/metrics.service';
import { DeliveryError } from '../delivery.errors';
import type { ProviderCircuitBreaker } from '../provider-circuit-breaker';
import type { DeliveryTransport, OutgoingMessage, TransportResult } from './delivery-transport';

/**
 * SMS over several providers: in the tenant's order (`smsProviders`, else the configured one),
 * skipping those whose circuit breaker is open. A temporary failure (5xx, timeout, network)
 * counts against that provider and hands the message to the next; a bounce or a rejection is
 * about the number or the request, so another provider would fare no better: thrown at once.
 * When every provider failed or was skipped, a temporary error lets the worker's backoff retry.
 */
export class SmsFailoverTransport implements DeliveryTransport {
  readonly channel = 'sms' as const;
  readonly provider: string;

  constructor(
    private readonly providers: readonly DeliveryTransport[],
    private readonly breaker: ProviderCircuitBreaker,
    private readonly metrics: MetricsService,
    /** The tenant's preferred order of provider names, if it has one. */
    private readonly orderOf: (tenantId: string | undefined) => Promise<readonly string[] | undefined>,
  ) {
    this.provider = providers.map((transport) => transport.provider).join('+');
  }

  async send(message: OutgoingMessage): Promise<TransportResult> {
    const tried: string[] = [];
    for (const transport of await this.ordered(message.tenantId)) {
      const name = transport.provider;
      if (!(await this.breaker.canSend(name))) {
        this.count(name, 'skipped');
        tried.push(`${name}: circuit open`);
        continue;
      }
      try {
        const result = await transport.send(message);
        await this.breaker.recordSuccess(name);
        this.count(name, 'sent');
        return { ...result, provider: name };
      } catch (error) {
        const failure =
          error instanceof DeliveryError ? error : new DeliveryError('temporary', `${name}: ${String(error)}`);
        this.count(name, failure.kind);
        if (failure.kind !== 'temporary') throw failure;
        if (await this.breaker.recordFailure(name)) this.metrics.providerCircuitOpen.labels(name).set(1);
        tried.push(failure.message);
      }
    }
    throw new DeliveryError('temporary', `no SMS provider took it (${tried.join('; ')})`.slice(0, 300));
  }

  private async ordered(tenantId: string | undefined): Promise<DeliveryTransport[]> {
    const preferred = (await this.orderOf(tenantId)) ?? [];
    const rank = (transport: DeliveryTransport) => {
      const position = preferred.indexOf(transport.provider);
      return position < 0 ? preferred.length + this.providers.indexOf(transport) : position;
    };
    return [...this.providers].sort((a, b) => rank(a) - rank(b));
  }

  private count(provider: string, outcome: string): void {
    this.metrics.deliveryProviderRequests.labels('sms', provider, outcome).inc();
    if (outcome === 'sent') this.metrics.providerCircuitOpen.labels(provider).set(0);
  }
}
