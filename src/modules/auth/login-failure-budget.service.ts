import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CryptoService } from '../../common/crypto/crypto.service';
import { AppException } from '../../common/errors';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { authConfig } from '../../config/auth.config';

/**
 * Wrong passwords per account: LOGIN_MAX_FAILURES per LOGIN_FAILURE_WINDOW, then 429 whatever
 * the IP. Shared by sign-in, password change and reset (a reset proves the mailbox and ends a
 * lockout a guesser ran up). Second factors have their own budget: MfaAttemptsService.
 */
@Injectable()
export class LoginFailureBudget {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly crypto: CryptoService,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {}

  /**
   * Keyed by tenant and normalised email, not user id, so that an unknown email locks
   * exactly like a real one and the 429 reveals nothing. Hashed: keys never hold addresses.
   */
  keyOfEmail(tenantId: string, email: string): string {
    return `rl:login-fail:${tenantId}:${this.crypto.sha256(email.trim().toLowerCase())}`;
  }

  /** For an account without an email (a phone account changing its password). */
  keyOfUser(tenantId: string, userId: string): string {
    return `rl:login-fail:${tenantId}:user:${userId}`;
  }

  /**
   * Counted before the password is checked, atomically: parallel guesses cannot all slip in
   * under the limit while earlier ones are still hashing. A correct password clears it.
   */
  async take(key: string): Promise<void> {
    const state = await this.limiter.hit(key, this.auth.loginMaxFailures, this.auth.loginFailureWindow);
    if (!state.allowed) throw AppException.tooManyRequests(state.resetSeconds);
  }

  /** A correct password is no failure: only wrong ones accumulate in the window. */
  clear(key: string): Promise<void> {
    return this.limiter.reset(key);
  }
}
