import { Injectable } from '@nestjs/common';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import type { MfaChallengeDto } from '../mfa/dto/mfa-challenge.dto';
import type { AuthResultDto } from '../sessions/dto/auth-result.dto';
import type { SessionAnswer } from '../sessions/session-cookies';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { LoginDto } from './dto/password-auth.dto';
import { LoginFailureBudget } from './login-failure-budget.service';
import { SignInService } from './sign-in.service';

/**
 * Email + password sign-in. An unknown email costs one password hash like a known one and
 * answers the same; only after a correct password may the answer depend on the account.
 */
@Injectable()
export class PasswordLoginService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly budget: LoginFailureBudget,
    private readonly audit: AuditService,
    private readonly signIn: SignInService,
  ) {}

  /**
   * A user with a second factor gets `{ mfaRequired, mfaToken, methods }` instead of a session
   * (POST /api/auth/mfa/verify finishes the login at aal 2); everyone else gets a session at aal 1.
   */
  async login(ctx: RequestContext, input: LoginDto): Promise<SessionAnswer<AuthResultDto | MfaChallengeDto>> {
    const failureKey = this.budget.keyOfEmail(ctx.tenantId, input.email);
    // The lookup overlaps the counter's round trip; its result is used only once the attempt is counted.
    const [, user] = await Promise.all([
      this.budget.take(failureKey),
      this.users.findByEmail(ctx.tenantId, input.email, 'any'),
    ]);
    const passwordOk = user?.passwordHash
      ? await this.hasher.verify(user.passwordHash, input.password)
      : await this.hasher.verifyAgainstDummy(input.password);
    if (!user || !passwordOk) {
      await this.recordFailure(ctx, user, 'invalid_credentials');
      throw new AppException('INVALID_CREDENTIALS');
    }
    await this.budget.clear(failureKey);
    // Only now, after a correct password, may the answer depend on the account's state.
    if (user.status === 'deleted') {
      await this.recordFailure(ctx, user, 'account_deleted');
      throw new AppException('ACCOUNT_DELETED');
    }
    if (user.status !== 'active') {
      await this.recordFailure(ctx, user, 'account_restricted');
      throw new AppException('ACCOUNT_RESTRICTED');
    }
    if (!this.users.isEmailVerified(user)) {
      await this.recordFailure(ctx, user, 'email_not_verified');
      throw new AppException('EMAIL_NOT_VERIFIED');
    }
    if (this.hasher.needsRehash(user.passwordHash ?? '')) {
      await this.users.setPasswordHash(user, await this.hasher.hash(input.password), null);
    }
    return this.signIn.afterFirstFactor({
      user,
      amr: ['pwd'],
      method: 'password',
      client: input.client,
      device: input.device,
      ctx,
    });
  }

  private async recordFailure(ctx: RequestContext, user: User | null, reason: string): Promise<void> {
    await this.audit.record(
      {
        type: 'login.failed',
        outcome: 'failure',
        tenantId: ctx.tenantId,
        subjectId: user?.id ?? null,
        data: { method: 'password', reason },
      },
      ctx,
    );
  }
}
