import type { RequiredEntityData } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { DeliverySuppression } from '../../src/modules/delivery/delivery-suppression.entity';
import { OidcClient } from '../../src/modules/oidc/oidc.entities';
import { Tenant } from '../../src/modules/tenants/tenant.entity';
import { PendingRegistration } from '../../src/modules/users/pending-registration.entity';
import { User } from '../../src/modules/users/user.entity';
import { WebhookDelivery, WebhookEndpoint } from '../../src/modules/webhooks/webhook.entities';
import type { Ciphertext } from '../../src/common/crypto/crypto.service';

/**
 * One factory per entity a test needs to start from, written straight to the test's database.
 * Each returns what it made; overrides replace the defaults field by field. Rows a flow writes
 * (sessions, deliveries, enrolled factors, audit of an action) come from that flow instead.
 */

/** Where to write: an e2e app (a fork of its EntityManager) or a medium test's EntityManager. */
export type Db = { app: INestApplicationContext } | EntityManager;

function forkOf(db: Db): EntityManager {
  return db instanceof EntityManager ? db.fork() : db.app.get(EntityManager).fork();
}

type Fields<T extends object> = Partial<RequiredEntityData<T>>;

function buildUser(em: EntityManager, overrides: Partial<User>): User {
  return em.create(User, {
    tenantId: 'default',
    email: `user-${randomUUID()}@example.com`,
    emailVerifiedAt: new Date(),
    ...overrides,
  });
}

/** A user of the default tenant with a verified email and no password, unless overridden. */
export async function createUser(db: Db, overrides: Partial<User> = {}): Promise<User> {
  const em = forkOf(db);
  const user = buildUser(em, overrides);
  await em.flush();
  return user;
}

/** `count` users in one flush; `fields(i)` says what makes the i-th one different. */
export async function createUsers(db: Db, count: number, fields: (i: number) => Partial<User>): Promise<User[]> {
  const em = forkOf(db);
  const users = Array.from({ length: count }, (_, i) => buildUser(em, fields(i)));
  await em.flush();
  return users;
}

/** An active tenant; `fields` for its settings or name. */
export async function createTenant(
  db: Db,
  id = `t-${randomBytes(4).toString('hex')}`,
  fields: Fields<Tenant> = {},
): Promise<string> {
  const em = forkOf(db);
  em.create(Tenant, { id, name: id, ...fields });
  await em.flush();
  return id;
}

/** A suppressed SMS destination (a bounce) of a random number, unless overridden. */
export async function createSuppression(
  db: Db,
  tenantId = 'default',
  fields: Fields<DeliverySuppression> = {},
): Promise<string> {
  const em = forkOf(db);
  const row = em.create(DeliverySuppression, {
    tenantId,
    channel: 'sms',
    destinationHash: randomBytes(32).toString('hex'),
    destinationMasked: '+1415***0123',
    reason: 'bounce: 21211',
    ...fields,
  });
  await em.flush();
  return row.id;
}

/** Registrations waiting for their code (an hour to live); `fields(i)` for the i-th one. */
export async function createPendingRegistrations(
  db: Db,
  count: number,
  fields: (i: number) => Fields<PendingRegistration> & { passwordHash: string },
): Promise<PendingRegistration[]> {
  const em = forkOf(db);
  const rows = Array.from({ length: count }, (_, i) =>
    em.create(PendingRegistration, {
      tenantId: 'default',
      email: `pending-${randomUUID()}@example.com`,
      expiresAt: new Date(Date.now() + 3_600_000),
      ...fields(i),
    }),
  );
  await em.flush();
  return rows;
}

/** Audit rows as history, for what reads or prunes them; an action's own rows come from AuditService. */
export async function createAuditEvents(db: Db, events: Array<Fields<AuditEvent>>): Promise<AuditEvent[]> {
  const em = forkOf(db);
  const rows = events.map((fields) =>
    em.create(AuditEvent, {
      id: randomUUID(),
      tenantId: 'default',
      type: 'login.succeeded',
      outcome: 'success',
      data: null,
      ...fields,
    }),
  );
  await em.flush();
  return rows;
}

/** An OIDC client row (confidential, first-party) of a random id; its secret is not usable (a random hash). */
export async function createOidcClient(db: Db, tenantId = 'default', fields: Fields<OidcClient> = {}): Promise<string> {
  const em = forkOf(db);
  const row = em.create(OidcClient, {
    tenantId,
    clientId: randomBytes(16).toString('base64url'),
    name: 'Factory client',
    secretHash: randomBytes(32).toString('hex'),
    redirectUris: ['https://app.example/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    public: false,
    firstParty: true,
    ...fields,
  });
  await em.flush();
  return row.clientId;
}

/** A webhook endpoint row (all events); its secret is no real ciphertext, so a worker cannot sign with it. */
export async function createWebhookEndpoint(
  db: Db,
  tenantId = 'default',
  fields: Fields<WebhookEndpoint> = {},
): Promise<string> {
  const em = forkOf(db);
  const row = em.create(WebhookEndpoint, {
    tenantId,
    url: 'https://hooks.example/secureauth',
    events: ['*'],
    secret: 'factory-secret' as Ciphertext,
    ...fields,
  });
  await em.flush();
  return row.id;
}

/** A pending delivery of a user.created event to an endpoint. */
export async function createWebhookDelivery(db: Db, endpointId: string, fields: Fields<WebhookDelivery> = {}) {
  const em = forkOf(db);
  const eventId = randomUUID();
  const row = em.create(WebhookDelivery, {
    tenantId: 'default',
    endpointId,
    eventId,
    type: 'user.created',
    body: JSON.stringify({
      id: eventId,
      type: 'user.created',
      timestamp: new Date().toISOString(),
      tenantId: 'default',
      data: {},
    }),
    ...fields,
  });
  await em.flush();
  return row.id;
}
