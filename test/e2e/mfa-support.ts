import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Secret, TOTP } from 'otpauth';
import { PasswordHasher } from '../../src/common/crypto/password-hasher';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import type { User } from '../../src/modules/users/user.entity';
import type { TestApp } from '../support/test-app';
import type { SoftwareAuthenticator } from '../support/webauthn-authenticator';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';
import { TestClock } from '../support/test-clock';

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

export const PASSWORD = 'correct horse battery staple 42';

/** A fresh verified user whose password is PASSWORD, with a recent session to enrol factors with. */
export async function passwordUser(sut: TestApp) {
  const user = await createUser(sut, { passwordHash: await sut.app.get(PasswordHasher).hash(PASSWORD) });
  const { accessToken } = await startSession(sut, user, { client: 'native' });
  return { user, email: user.email!, token: accessToken };
}

/** POST /api/auth/login with PASSWORD, for a user with a second factor: the challenge. */
export async function passwordChallenge(sut: TestApp, email: string) {
  const login = await sut.http.post('/api/auth/login', { email, password: PASSWORD }, { cookies: false });
  if (!login.body.mfaRequired) throw new Error(`no challenge: ${login.status} ${login.text}`);
  return login.body as { mfaRequired: true; mfaToken: string; methods: string[] };
}

/** Registers a passkey of `authenticator` over HTTP. */
export async function registerPasskey(sut: TestApp, token: string, authenticator: SoftwareAuthenticator) {
  const options = await sut.http.post('/api/mfa/passkeys/registration/options', undefined, { token, cookies: false });
  const created = await sut.http.post(
    '/api/mfa/passkeys/registration/verify',
    { name: 'Key', response: authenticator.create(options.body) },
    { token, cookies: false },
  );
  if (created.status !== 201) throw new Error(`registration failed: ${created.status} ${created.text}`);
  return created.body as { id: string };
}

/** Enrols TOTP over HTTP and answers the plain secret and the recovery codes. */
export async function enrolTotp(sut: TestApp, token: string) {
  const setup = await sut.http.post('/api/mfa/totp/setup', undefined, { token, cookies: false });
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.status} ${setup.text}`);
  const secret = setup.body.secret as string;
  // A step of its own for the confirmation (the previous one), so tests that use "now" afterwards
  // are not replays. The previous step is only accepted while "now" is the current one: the
  // service's clock is held in the middle of the current step, so a slow request (a loaded CI
  // machine) cannot arrive two steps late, and let go once the code is accepted.
  const clock = TestClock.of(sut);
  clock.advance(15_000 - (clock.nowMs() % 30_000));
  let confirm;
  try {
    confirm = await sut.http.post(
      '/api/mfa/totp/confirm',
      { code: totpCode(secret, clock.nowMs() - 30_000) },
      { token, cookies: false },
    );
  } finally {
    clock.reset();
  }
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
