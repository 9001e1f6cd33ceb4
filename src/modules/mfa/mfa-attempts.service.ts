import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { authConfig } from '../../config/auth.config';
import { AuditService } from '../audit/audit.service';
import { MfaTokenStore } from './mfa-token.store';
import type { MfaMethod } from './mfa.types';

/** Wrong second factors per account (login challenges and TOTP management share it). */
export const mfaFailureKey = (tenantId: string, userId: string) => `rl:mfa-fail:${tenantId}:${userId}`;

export interface MfaGuess {
  user: { id: string; tenantId: string };
  method: MfaMethod;
  /** The login challenge being answered; absent when a signed-in user manages a factor. */
  mfaToken?: string;
  /** Why a signed-in user gave the code (audited with a wrong one). */
  purpose?: 'confirm' | 'disable' | 'reauthenticate';
  ctx: RequestContext;
}

/**
 * The guess budget of second factors, one for every factor and every route that checks one:
 * LOGIN_MAX_FAILURES per LOGIN_FAILURE_WINDOW per account, and MFA_TOKEN_MAX_FAILURES per
 * mfaToken. A guess takes its place in both before the factor is checked, so a burst of
 * concurrent guesses gets no more evaluations than the budget holds, however it is spread
 * over tokens; a right guess gives its place back.
 */
@Injectable()
export class MfaAttemptsService {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly tokens: MfaTokenStore,
    private readonly audit: AuditService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /**
   * Runs `check` (null for a wrong factor) within the budget and answers its result. 429 when the
   * account has no guess left, UNAUTHORIZED when the mfaToken has none (or is gone). A wrong
   * guess is audited and keeps its place until the window ends; one that throws keeps it too, as
   * the factor may have been compared before the error.
   */
  async guess<T>(guess: MfaGuess, check: () => Promise<T | null>): Promise<T | null> {
    const accountKey = mfaFailureKey(guess.user.tenantId, guess.user.id);
    const place = await this.limiter.reserve(accountKey, this.config.loginMaxFailures, this.config.loginFailureWindow);
    if (!place.allowed) throw AppException.tooManyRequests(place.resetSeconds);
    if (guess.mfaToken !== undefined && !(await this.tokens.reserveAttempt(guess.mfaToken))) {
      await this.limiter.release(accountKey);
      throw new AppException('UNAUTHORIZED');
    }

    const outcome = await check();
    if (outcome !== null) {
      // Only this guess's place: wiping the window would hand the rest of a burst a fresh budget.
      await this.limiter.release(accountKey);
      return outcome;
    }
    if (guess.mfaToken !== undefined) await this.tokens.recordFailure(guess.mfaToken);
    await this.audit.record(
      {
        type: 'mfa.challenge.failed',
        outcome: 'failure',
        tenantId: guess.user.tenantId,
        subjectId: guess.user.id,
        data: guess.purpose ? { method: guess.method, purpose: guess.purpose } : { method: guess.method },
      },
      guess.ctx,
    );
    return null;
  }
}
