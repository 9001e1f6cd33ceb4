import fastifyView from '@fastify/view';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Eta } from 'eta';
import { join } from 'node:path';

/** Routes whose forms post application/x-www-form-urlencoded (every other body must be JSON). */
export const PAGE_FORM_PATHS = [
  '/signin',
  '/signin/mfa',
  '/signin/mfa/email',
  '/signin/code',
  '/signin/code/verify',
  '/signup',
  '/signup/verify',
  '/forgot',
  '/reset',
  '/signout',
  '/account/profile',
  '/account/email',
  '/account/email/verify',
  '/account/phone',
  '/account/phone/verify',
  '/account/reauthenticate',
  '/account/delete',
  '/account/security/password',
  '/account/security/totp/setup',
  '/account/security/totp/confirm',
  '/account/security/totp/disable',
  '/account/security/email/enable',
  '/account/security/email/disable',
  '/account/security/passkeys/:id/rename',
  '/account/security/passkeys/:id/remove',
  '/account/security/recovery-codes',
  '/account/sessions/:id/revoke',
  '/account/sessions/revoke-others',
  '/account/devices/:id/rename',
  '/account/devices/:id/forget',
];

/** Eta templates beside this file (copied into dist by the build); `<%= %>` escapes, always. */
export async function registerPageViews(app: NestFastifyApplication, production: boolean): Promise<void> {
  await app.register(fastifyView, {
    engine: { eta: new Eta({ autoEscape: true }) },
    root: join(__dirname, 'views'),
    production,
  });
}
