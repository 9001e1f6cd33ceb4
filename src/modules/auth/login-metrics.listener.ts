import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../../common/metrics/metrics.service';
import { DomainEvents } from '../audit/domain-events';

/** auth_login_total{method, outcome}, counted from the sign-in events every flow already audits. */
@Injectable()
export class LoginMetricsListener implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.events.on('login.succeeded', ({ event }) => this.count(event.data?.method, 'success'));
    // A failure without a reason (a passkey that did not verify) is just invalid.
    this.events.on('login.failed', ({ event }) => this.count(event.data?.method, event.data?.reason ?? 'invalid'));
    this.events.on('mfa.challenge.failed', ({ event }) => {
      // With a purpose, a signed-in user managed a factor: that is no sign-in attempt.
      if (event.data?.purpose === undefined) this.count(`mfa_${String(event.data?.method)}`, 'mfa_invalid');
    });
  }

  private count(method: unknown, outcome: unknown): void {
    this.metrics.loginOutcomes.labels(String(method), String(outcome)).inc();
  }
}
