import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { AppException } from '../../common/errors';
import { MetricsService } from '../../common/metrics/metrics.service';
import { captchaConfig } from '../../config/captcha.config';

/** Longer than any Turnstile (2048) or hCaptcha token: anything past it is not one, and is not sent on. */
export const CAPTCHA_TOKEN_MAX_LENGTH = 4096;

/** `siteverify` answers that mean our side is wrong (secret), not the user's: no user can pass until fixed. */
const MISCONFIGURED = new Set(['missing-input-secret', 'invalid-input-secret', 'sitekey-secret-mismatch']);

type Outcome = 'passed' | 'failed' | 'unavailable';

/**
 * Asks the CAPTCHA provider whether a widget token was really solved (Turnstile and hCaptcha
 * `siteverify`: POST form `secret`, `response`, `remoteip`; JSON `{success, "error-codes"}`).
 * It fails closed: a provider that cannot be asked (down, slow past CAPTCHA_TIMEOUT_MS, an
 * HTTP error, an unreadable answer, our own secret refused) is 503 SERVICE_UNAVAILABLE, never a
 * pass, because a CAPTCHA that lets requests through whenever it is unreachable stops no bot
 * that can also make it unreachable. 503 rather than CAPTCHA_REQUIRED: solving the widget
 * again would not help the user, retrying later does.
 */
@Injectable()
export class CaptchaService {
  private readonly logger = new Logger(CaptchaService.name);
  private readonly verifications: Counter<'outcome'>;

  constructor(
    @Inject(captchaConfig.KEY) private readonly config: ConfigType<typeof captchaConfig>,
    metrics: MetricsService,
  ) {
    this.verifications = new Counter({
      name: 'captcha_verifications_total',
      help: 'CAPTCHA token checks by outcome; "unavailable" refuses requests (fail closed)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  /** Resolves when the provider confirms the token; 400 CAPTCHA_REQUIRED when it does not, 503 when it cannot be asked. */
  async assertSolved(token: string, remoteIp: string): Promise<void> {
    const outcome = await this.verify(token, remoteIp);
    this.verifications.labels(outcome).inc();
    if (outcome === 'unavailable') throw new AppException('SERVICE_UNAVAILABLE');
    if (outcome === 'failed') throw new AppException('CAPTCHA_REQUIRED');
  }

  private async verify(token: string, remoteIp: string): Promise<Outcome> {
    const verify = this.config.verify;
    if (!verify) {
      this.logger.error('a tenant requires a CAPTCHA but CAPTCHA_VERIFY_URL is not set: refusing its requests');
      return 'unavailable';
    }
    let answer: unknown;
    try {
      const response = await fetch(verify.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ secret: verify.secret, response: token, remoteip: remoteIp }).toString(),
        signal: AbortSignal.timeout(verify.timeoutMs),
      });
      if (!response.ok) {
        this.logger.warn(`CAPTCHA verification answered HTTP ${response.status}: refusing (fail closed)`);
        return 'unavailable';
      }
      answer = await response.json();
    } catch (error) {
      this.logger.warn(`CAPTCHA verification unreachable (${(error as Error).name}): refusing (fail closed)`);
      return 'unavailable';
    }
    if (!answer || typeof answer !== 'object') return 'unavailable';
    const { success, 'error-codes': errorCodes } = answer as { success?: unknown; 'error-codes'?: unknown };
    if (success === true) return 'passed';
    if (Array.isArray(errorCodes) && errorCodes.some((code) => MISCONFIGURED.has(String(code)))) {
      this.logger.error(`CAPTCHA provider refused our secret (${errorCodes.join(', ')}): check CAPTCHA_SECRET`);
      return 'unavailable';
    }
    return 'failed';
  }
}
