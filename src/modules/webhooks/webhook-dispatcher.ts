import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import type { AuditEventType } from '../audit/audit.constants';
import { type DomainEvent, DomainEvents } from '../audit/domain-events';
import { UsersService } from '../users/users.service';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhookEndpoints } from './webhook-endpoints.service';
import { WEBHOOK_TYPE_OF, webhookDataOf, type WebhookEventType } from './webhook-events';

/** Types that are failures by nature; of every other type only what succeeded is news (not a refused password change). */
const FAILURE_TYPES = new Set<WebhookEventType>(['login.failed', 'refresh.reuse_detected', 'delivery.bounced']);

/**
 * Turns audited events into webhook deliveries once their transaction committed (DomainEvents):
 * a rolled-back sign-in sends nothing. One event id for all of the tenant's subscribed
 * endpoints; a tenant without endpoints costs a cached lookup, no query.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly endpoints: WebhookEndpoints,
    private readonly deliveries: WebhookDeliveries,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    for (const [auditType, type] of Object.entries(WEBHOOK_TYPE_OF)) {
      this.events.on(auditType as AuditEventType, (event) => this.dispatch(type, event));
    }
  }

  private async dispatch(type: WebhookEventType, domainEvent: DomainEvent): Promise<void> {
    const { event } = domainEvent;
    if (event.outcome === 'failure' && !FAILURE_TYPES.has(type)) return;
    const subscribers = await this.endpoints.subscribersOf(event.tenantId, type);
    if (subscribers.length === 0) return;
    const user = event.subjectId ? await this.users.findById(event.tenantId, event.subjectId) : null;
    const eventId = randomUUID();
    const body = JSON.stringify({
      id: eventId,
      type,
      timestamp: this.clock.now().toISOString(),
      tenantId: event.tenantId,
      data: webhookDataOf(type, domainEvent, user && { email: user.email, phone: user.phone }),
    });
    await this.deliveries.fanOut(
      { tenantId: event.tenantId, userId: event.subjectId ?? null, eventId, type, body },
      subscribers.map((endpoint) => endpoint.id),
    );
  }
}
