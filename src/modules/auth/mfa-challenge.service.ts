import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { MfaAttemptsService } from '../mfa/mfa-attempts.service';
import { MFA_TOKEN_TTL_SECONDS, MfaTokenStore, type PendingMfa } from '../mfa/mfa-token.store';
import { MfaService } from '../mfa/mfa.service';
import { AMR_OF, type MfaMethod } from '../mfa/mfa.types';
import type { SessionAnswer } from '../sessions/session-cookies';
import { User } from '../users/user.entity';
import { SecondFactors } from './second-factors.service';
import { SignInService } from './sign-in.service';
import type { MfaAuthResultDto, MfaEmailSentDto, VerifyMfaDto } from './dto/mfa-challenge.dto';

/** Unknown, used, burned, expired or another tenant's: one answer, and it says what to do. */
const mfaTokenGone = () =>
  AppException.saying(
    'UNAUTHORIZED',
    `The mfaToken was already used or has expired (it lives ${MFA_TOKEN_TTL_SECONDS / 60} minutes): sign in again`,
  );

/**
 * The second half of a login (API.md "Login challenge"). The mfaToken says who passed the
 * first factor and which factors that first factor rules out; every guess takes its place in
 * the token's budget (burned after 5) and the account's (LOGIN_MAX_FAILURES per
 * LOGIN_FAILURE_WINDOW, then 429 whatever the IP) before the factor is checked.
 */
@Injectable()
export class MfaChallengeService {
  constructor(
    private readonly em: EntityManager,
    private readonly tokens: MfaTokenStore,
    private readonly mfa: MfaService,
    private readonly attempts: MfaAttemptsService,
    private readonly audit: AuditService,
    private readonly signIn: SignInService,
    private readonly factors: SecondFactors,
  ) {}

  async sendEmailCode(ctx: RequestContext, mfaToken: string): Promise<MfaEmailSentDto> {
    const { pending, user } = await this.pendingUser(ctx, mfaToken);
    if (!(await this.offeredMethods(user, pending)).includes('email') || !user.email) {
      throw new AppException('MFA_INVALID');
    }
    return this.factors.sendEmailCode(ctx, user, user.email);
  }

  async passkeyOptions(ctx: RequestContext, mfaToken: string) {
    const { pending, user } = await this.pendingUser(ctx, mfaToken);
    if (!(await this.offeredMethods(user, pending)).includes('passkey')) throw new AppException('MFA_INVALID');
    return this.factors.passkeyOptions(this.factors.challengeKeyOf(mfaToken), user.id);
  }

  async verify(ctx: RequestContext, input: VerifyMfaDto): Promise<SessionAnswer<MfaAuthResultDto>> {
    const { pending, user } = await this.pendingUser(ctx, input.mfaToken);
    const outcome = await this.attempts.guess(
      { user, method: input.method, mfaToken: input.mfaToken, ctx },
      async () =>
        (await this.offeredMethods(user, pending)).includes(input.method)
          ? this.factors.check(user, input, this.factors.challengeKeyOf(input.mfaToken))
          : null,
    );
    if (!outcome) throw new AppException('MFA_INVALID');
    // Single use even when two correct answers race: only one caller deletes the token.
    if (!(await this.tokens.consume(input.mfaToken))) throw mfaTokenGone();
    await this.audit.record(
      {
        type: 'mfa.challenge.succeeded',
        outcome: 'success',
        tenantId: user.tenantId,
        subjectId: user.id,
        data: { method: input.method },
      },
      ctx,
    );
    if (outcome.recoveryCodesRemaining !== undefined) {
      await this.audit.record(
        {
          type: 'recovery_code.used',
          outcome: 'success',
          tenantId: user.tenantId,
          subjectId: user.id,
          data: { remaining: outcome.recoveryCodesRemaining },
        },
        ctx,
      );
    }
    const result = await this.signIn.startSession(
      {
        user,
        amr: [...new Set([...pending.primaryAmr, AMR_OF[input.method], 'mfa'])],
        method: `mfa_${input.method}`,
        data: { primaryAmr: pending.primaryAmr },
        client: input.client ?? pending.client,
        device: input.device ?? pending.device,
        ctx,
      },
      2,
    );
    return outcome.recoveryCodesRemaining === undefined
      ? result
      : { ...result, body: { ...result.body, recoveryCodesRemaining: outcome.recoveryCodesRemaining } };
  }

  private offeredMethods(user: User, pending: PendingMfa): Promise<MfaMethod[]> {
    return this.mfa.methodsFor(user, pending);
  }

  private async pendingUser(ctx: RequestContext, mfaToken: string): Promise<{ pending: PendingMfa; user: User }> {
    const pending = await this.tokens.find(mfaToken, ctx.tenantId);
    if (!pending) throw mfaTokenGone();
    const user = await this.em.findOne(User, { id: pending.userId, tenantId: pending.tenantId }, { refresh: true });
    if (!user) throw new AppException('UNAUTHORIZED');
    if (user.status === 'deleted') throw new AppException('ACCOUNT_DELETED');
    if (user.status !== 'active') throw new AppException('ACCOUNT_RESTRICTED');
    return { pending, user };
  }
}
