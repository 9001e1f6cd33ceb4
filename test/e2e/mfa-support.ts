import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Secret, TOTP } from 'otpauth';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import type { User } from '../../src/modules/users/user.entity';
import type { TestApp } from '../support/test-app';
import { createUser, startSession } from './sessions-support';

/** The code an authenticator app shows for `secret` at `timestampMs` (default now). */
export function totpCode(secret: string, timestampMs = Date.now()): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    timestamp: timestampMs,
  });
}

/** A fresh verified user with a live, recent session (Bearer token). */
export async function signedInUser(sut: TestApp, overrides: Partial<User> = {}) {
  const user = await createUser(sut, overrides);
  const session = await startSession(sut, user, { client: 'native' });
  return { user, token: session.accessToken, session };
}

/** Enrols TOTP over HTTP and answers the plain secret and the recovery codes. */
export async function enrolTotp(sut: TestApp, token: string) {
  const setup = await sut.http.post('/api/mfa/totp/setup', undefined, { token, cookies: false });
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.status} ${setup.text}`);
  const secret = setup.body.secret as string;
  // A step of its own for the confirmation, so tests that use "now" afterwards are not replays.
  // The previous step is only accepted while "now" is the current one: never start near the end
  // of a step, or a slow request arrives two steps late (seen under a loaded CI machine).
  const intoStep = Date.now() % 30_000;
  if (intoStep > 25_000) await new Promise((resolve) => setTimeout(resolve, 30_000 - intoStep + 50));
  const confirm = await sut.http.post(
    '/api/mfa/totp/confirm',
    { code: totpCode(secret, Date.now() - 30_000) },
    { token, cookies: false },
  );
  if (confirm.status !== 200) throw new Error(`confirm failed: ${confirm.status} ${confirm.text}`);
  return { secret, recoveryCodes: (confirm.body.recoveryCodes ?? []) as string[] };
}

export async function auditTypesOf(sut: TestApp, userId: string): Promise<string[]> {
  const events = await sut.app
    .get(EntityManager)
    .fork()
    .find(AuditEvent, { subjectId: userId }, { orderBy: { createdAt: 'asc' } });
  return events.map((event) => event.type);
}

export async function auditEventsOf(sut: TestApp, userId: string, type: string): Promise<AuditEvent[]> {
  return sut.app
    .get(EntityManager)
    .fork()
    .find(AuditEvent, { subjectId: userId, type }, { orderBy: { createdAt: 'asc' } });
}

/** Runs service calls the way an HTTP request does: inside a request context of their own. */
export function inRequestContext<T>(sut: TestApp, work: () => Promise<T>): Promise<T> {
  return RequestContext.create(sut.app.get(EntityManager), work);
}
