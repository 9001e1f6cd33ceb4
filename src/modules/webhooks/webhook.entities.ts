import { type Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import type { Ciphertext } from '../../common/crypto/crypto.service';

/**
 * Where a tenant wants to hear of events. The secret signs every delivery, so it is kept
 * encrypted (AES-256-GCM, bound to the row), never hashed, and shown once.
 */
@Entity({ tableName: 'webhook_endpoint' })
@Index({ name: 'webhook_endpoint_tenant_idx', properties: ['tenantId', 'createdAt', 'id'] })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'string', length: 2048 })
  url!: string;

  /** Webhook event types, or `*` for all of them. */
  @Property({ type: 'text[]' })
  events!: string[];

  @Property({ type: 'text', hidden: true })
  secret!: Ciphertext;

  @Property({ type: 'boolean', default: true })
  enabled: boolean & Opt = true;

  /** Why the service switched it off (`failing`), null when an admin did or it is on. */
  @Property({ type: 'string', length: 32, nullable: true })
  disabledReason: string | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastSuccessAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  lastFailureAt: Date | null = null;

  /** The first failure since the last success: failing for WEBHOOK_DISABLE_AFTER_MS disables the endpoint. */
  @Property({ type: 'datetime', nullable: true })
  failingSince: Date | null = null;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One try to reach the endpoint: what the admin sees of it (never the secret nor the body sent). */
export interface WebhookAttempt {
  at: string;
  responseStatus: number | null;
  latencyMs: number;
  error: string | null;
}

/** One event for one endpoint: the body exactly as signed, and every attempt to deliver it. */
@Entity({ tableName: 'webhook_delivery' })
@Index({ name: 'webhook_delivery_endpoint_idx', properties: ['endpointId', 'createdAt', 'id'] })
@Index({ name: 'webhook_delivery_user_idx', properties: ['tenantId', 'userId'] })
@Index({ name: 'webhook_delivery_created_idx', properties: ['createdAt'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Property({ type: 'uuid' })
  endpointId!: string;

  /** The user the event is about, if any: an account's purge erases its deliveries (their bodies name it). */
  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  /** The event's id: the body's `id` and the `webhook-id` header, the same for every endpoint. */
  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 64 })
  type!: string;

  /** The JSON body, as sent (ids and the user's email or phone; never a secret, code or token). */
  @Property({ type: 'text' })
  body!: string;

  @Property({ type: 'string', length: 16 })
  status: WebhookDeliveryStatus & Opt = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  @Property({ type: 'integer', nullable: true })
  responseStatus: number | null = null;

  @Property({ type: 'json', default: '[]' })
  attemptLog: WebhookAttempt[] & Opt = [];

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', nullable: true })
  deliveredAt: Date | null = null;
}
