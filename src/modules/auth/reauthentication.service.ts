import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { MfaAttemptsService } from '../mfa/mfa-attempts.service';
import { MfaService } from '../mfa/mfa.service';
import { AMR_OF } from '../mfa/mfa.types';
import { SessionStepUp } from '../sessions/session-step-up.service';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { ReauthenticateDto, ReauthFactor } from './dto/reauthenticate.dto';
import { LoginFailureBudget } from './login-failure-budget.service';
import { SecondFactors } from './second-factors.service';

/**
 * POST /api/auth/reauthenticate: the signed-in user proves again who they are (password or a
 * second factor) and the current session's auth_time becomes now, so step-up routes pass
 * without a new session. A wrong proof counts against the same budgets as a sign-in's.
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly passwordBudget: LoginFailureBudget,
    private readonly attempts: MfaAttemptsService,
    private readonly mfa: MfaService,
    private readonly factors: SecondFactors,
    private readonly stepUp: SessionStepUp,
    private readonly audit: AuditService,
  ) {}

  async reauthenticate(
    auth: AuthPrincipal,
    ctx: RequestContext,
    input: ReauthenticateDto,
  ): Promise<{ authTime: number }> {
    const proof = proofOf(input);
    const user = await this.users.findById(auth.tenantId, auth.userId);
    if (!user || user.status !== 'active') throw new AppException('UNAUTHORIZED');
    if (proof.kind === 'password') {
      await this.checkPassword(auth, user, proof.password, ctx);
      return this.stepUp.record(auth, { method: 'password', amr: 'pwd' }, ctx);
    }
    const { method } = proof;
    const outcome = await this.attempts.guess({ user, method, purpose: 'reauthenticate', ctx }, async () =>
      (await this.mfa.methodsFor(user)).includes(method)
        ? this.factors.check(user, { method, code: input.code, response: input.response }, challengeKeyOf(auth))
        : null,
    );
    if (!outcome) throw new AppException('MFA_INVALID');
    return this.stepUp.record(auth, { method, amr: AMR_OF[method] }, ctx);
  }

  /** Request options for the caller's own passkeys; the challenge is this session's, single use. */
  async passkeyOptions(auth: AuthPrincipal) {
    const user = await this.users.findById(auth.tenantId, auth.userId);
    if (!user || !(await this.mfa.methodsFor(user)).includes('passkey')) throw new AppException('MFA_INVALID');
    return this.factors.passkeyOptions(challengeKeyOf(auth), user.id);
  }

  private async checkPassword(auth: AuthPrincipal, user: User, password: string, ctx: RequestContext): Promise<void> {
    const failureKey = user.email
      ? this.passwordBudget.keyOfEmail(auth.tenantId, user.email)
      : this.passwordBudget.keyOfUser(auth.tenantId, user.id);
    await this.passwordBudget.take(failureKey);
    const right = user.passwordHash
      ? await this.hasher.verify(user.passwordHash, password)
      : await this.hasher.verifyAgainstDummy(password);
    if (right) return this.passwordBudget.clear(failureKey);
    await this.audit.record(
      {
        type: 'session.reauthenticated',
        outcome: 'failure',
        tenantId: auth.tenantId,
        subjectId: user.id,
        sessionId: auth.sessionId,
        data: { method: 'password', reason: 'invalid_credentials' },
      },
      ctx,
    );
    throw new AppException('INVALID_CREDENTIALS');
  }
}

const challengeKeyOf = (auth: AuthPrincipal) => `webauthn:reauth:${auth.sessionId}`;

type Proof = { kind: 'password'; password: string } | { kind: 'factor'; method: ReauthFactor };

/** Exactly one proof, complete: the password, a code with its method, or a passkey's response. */
function proofOf(input: ReauthenticateDto): Proof {
  const fail = (field: string, message: string) => new AppException('VALIDATION_FAILED', [{ field, message }]);
  if (input.password !== undefined) {
    if (input.method !== undefined || input.code !== undefined || input.response !== undefined) {
      throw fail('password', 'give the password or a second factor, not both');
    }
    return { kind: 'password', password: input.password };
  }
  if (input.method === undefined) throw fail('password', 'give the password, or a method with its code or response');
  if (input.method === 'passkey' ? input.response === undefined : input.code === undefined) {
    throw fail(input.method === 'passkey' ? 'response' : 'code', `is required with method "${input.method}"`);
  }
  return { kind: 'factor', method: input.method };
}
