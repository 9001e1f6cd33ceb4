import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import { DeliverySuppression } from '../../src/modules/delivery/delivery-suppression.entity';
import { Tenant } from '../../src/modules/tenants/tenant.entity';
import { User } from '../../src/modules/users/user.entity';
import type { TestApp } from './test-app';

/**
 * One factory per entity a test needs to start from, written straight to the test's database.
 * Each returns what it made; overrides replace the defaults field by field.
 */

/** A user of the default tenant with a verified email and no password, unless overridden. */
export async function createUser(sut: TestApp, overrides: Partial<User> = {}): Promise<User> {
  const em = sut.app.get(EntityManager).fork();
  const user = em.create(User, {
    tenantId: 'default',
    email: `user-${randomUUID()}@example.com`,
    emailVerifiedAt: new Date(),
    ...overrides,
  });
  await em.flush();
  return user;
}

export async function createTenant(sut: TestApp, id = `t-${randomBytes(4).toString('hex')}`): Promise<string> {
  const em = sut.app.get(EntityManager).fork();
  em.create(Tenant, { id, name: id });
  await em.flush();
  return id;
}

/** A suppressed SMS destination (a bounce) of a random number. */
export async function createSuppression(sut: TestApp, tenantId = 'default'): Promise<string> {
  const em = sut.app.get(EntityManager).fork();
  const row = em.create(DeliverySuppression, {
    tenantId,
    channel: 'sms',
    destinationHash: randomBytes(32).toString('hex'),
    destinationMasked: '+1415***0123',
    reason: 'bounce: 21211',
  });
  await em.flush();
  return row.id;
}
