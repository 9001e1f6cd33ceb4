import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per process; modules record through the typed instruments below. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly loginOutcomes = new Counter({
    name: 'auth_login_total',
    help: 'Login attempts by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  /**
   * New passwords screened against the breach corpus: `result` clean, breached or unavailable
   * (the range API failed or was slow, the password was allowed); `action` accepted or refused.
   */
  readonly breachedPasswordChecks = new Counter({
    name: 'auth_breached_password_checks_total',
    help: 'New passwords checked against the breached-password range API, by result and action',
    labelNames: ['result', 'action'] as const,
    registers: [this.registry],
  });

  readonly deliveryMessages = new Counter({
    name: 'delivery_messages_total',
    help: 'Delivery messages by channel and final outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly deliveryProviderRequests = new Counter({
    name: 'delivery_provider_requests_total',
    help: 'Sends per provider of a channel, by outcome (sent, temporary, bounce, rejected, skipped: circuit open)',
    labelNames: ['channel', 'provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly providerCircuitOpen = new Gauge({
    name: 'delivery_provider_circuit_open',
    help: "1 while this process saw the provider's circuit breaker open (skipped after repeated failures), else 0",
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'webhook_attempts_total',
    help: 'Outbound event webhook attempts by outcome (succeeded, timeout, network, refused, http_<status>)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'delivery_latency_seconds',
    help: 'Time from enqueue to provider acceptance',
    labelNames: ['channel'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'delivery_queue_depth',
    help: 'Jobs waiting or delayed in the delivery queue',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
