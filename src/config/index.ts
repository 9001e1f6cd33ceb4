import { accountConfig } from './account.config';
import { appConfig } from './app.config';
import { configWarnings } from './env-reader';
import { auditConfig } from './audit.config';
import { authConfig } from './auth.config';
import { breachedPasswordConfig } from './breached-password.config';
import { captchaConfig } from './captcha.config';
import { databaseConfig } from './database.config';
import { geoipConfig } from './geoip.config';
import { deliveryConfig } from './delivery.config';
import { metricsConfig } from './metrics.config';
import { oidcConfig } from './oidc.config';
import { otpConfig } from './otp.config';
import { pagesConfig } from './pages.config';
import { redisConfig } from './redis.config';
import { tenantsConfig } from './tenants.config';
import { sessionsConfig } from './sessions.config';
import { throttleConfig } from './throttle.config';
import { webauthnConfig } from './webauthn.config';
import { webhooksConfig } from './webhooks.config';

export * from './account.config';
export * from './app.config';
export * from './audit.config';
export * from './auth.config';
export * from './breached-password.config';
export * from './captcha.config';
export * from './database.config';
export * from './geoip.config';
export * from './delivery.config';
export * from './metrics.config';
export * from './oidc.config';
export * from './otp.config';
export * from './pages.config';
export * from './redis.config';
export * from './tenants.config';
export * from './sessions.config';
export * from './throttle.config';
export * from './webauthn.config';
export * from './webhooks.config';
export { ConfigError, configWarnings } from './env-reader';

export const configSlices = [
  accountConfig,
  appConfig,
  auditConfig,
  authConfig,
  breachedPasswordConfig,
  captchaConfig,
  databaseConfig,
  deliveryConfig,
  geoipConfig,
  metricsConfig,
  oidcConfig,
  otpConfig,
  pagesConfig,
  redisConfig,
  tenantsConfig,
  sessionsConfig,
  throttleConfig,
  webauthnConfig,
  webhooksConfig,
];

/**
 * Evaluates every slice once so that a bad value stops the process before anything starts;
 * returns the warnings (development defaults in use) for the caller to log.
 */
export function validateConfiguration(): string[] {
  configWarnings.clear();
  for (const slice of configSlices) slice();
  return [...configWarnings];
}
