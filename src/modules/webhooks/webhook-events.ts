import type { AuditEventType } from '../audit/audit.constants';
import type { DomainEvent } from '../audit/domain-events';

/** API.md "Outbound event webhooks": the types an endpoint can subscribe to; add, never rename. */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.email_verified',
  'user.updated',
  'user.deleted',
  'login.succeeded',
  'login.failed',
  'session.created',
  'session.revoked',
  'refresh.reuse_detected',
  'password.changed',
  'mfa.enabled',
  'mfa.disabled',
  'delivery.bounced',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Subscribes an endpoint to every type, today's and those added later. */
export const ALL_EVENTS = '*';

/**
 * Which audited event is which webhook event. Several audit types can feed one webhook type
 * (a role or status change is a `user.updated`; a passkey is a factor like TOTP).
 */
export const WEBHOOK_TYPE_OF: Partial<Record<AuditEventType, WebhookEventType>> = {
  'user.registered': 'user.created',
  'email.verified': 'user.email_verified',
  'user.updated': 'user.updated',
  'role.changed': 'user.updated',
  'user.restricted': 'user.updated',
  'account.deletion_scheduled': 'user.deleted',
  'login.succeeded': 'login.succeeded',
  'login.failed': 'login.failed',
  'session.created': 'session.created',
  'session.revoked': 'session.revoked',
  'refresh.reuse_detected': 'refresh.reuse_detected',
  'password.changed': 'password.changed',
  'password.reset': 'password.changed',
  'mfa.enabled': 'mfa.enabled',
  'passkey.registered': 'mfa.enabled',
  'mfa.disabled': 'mfa.disabled',
  'passkey.removed': 'mfa.disabled',
  'delivery.bounced': 'delivery.bounced',
};

/**
 * Facts of the audit event's data a receiver may see, per key: labels and reasons only. The
 * audit's data never holds codes or tokens either; this list keeps it so if one is added there.
 */
const SAFE_FACTS = ['method', 'reason', 'channel', 'client', 'fields', 'from', 'to', 'status', 'aal'] as const;

/** Types about a user, whose `data` names the user's email and phone too. */
const ABOUT_THE_USER = new Set<WebhookEventType>([
  'user.created',
  'user.email_verified',
  'user.updated',
  'user.deleted',
  'login.succeeded',
  'password.changed',
  'mfa.enabled',
  'mfa.disabled',
]);

export interface UserContact {
  email: string | null;
  phone: string | null;
}

/** The body's `data` for an event: the ids involved, the user's contact where it is about them, and safe facts. */
export function webhookDataOf(
  type: WebhookEventType,
  { event }: DomainEvent,
  user: UserContact | null,
): Record<string, unknown> {
  const source = event.data ?? {};
  const data: Record<string, unknown> = {};
  if (event.subjectId) data.userId = event.subjectId;
  if (event.sessionId) data.sessionId = event.sessionId;
  if (event.deviceId) data.deviceId = event.deviceId;
  if (typeof source.messageId === 'string') data.messageId = source.messageId;
  if (user && ABOUT_THE_USER.has(type)) {
    data.email = user.email;
    data.phone = user.phone;
  }
  for (const key of SAFE_FACTS) {
    if (source[key] !== undefined) data[key] = source[key];
  }
  if (event.type === 'password.reset') data.reason = 'reset';
  if (event.type === 'passkey.registered' || event.type === 'passkey.removed') data.method = 'passkey';
  return data;
}

/** Whether an endpoint subscribed to `events` hears of `type`. */
export function subscribes(events: readonly string[], type: WebhookEventType): boolean {
  return events.includes(ALL_EVENTS) || events.includes(type);
}
