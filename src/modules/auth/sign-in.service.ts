import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../common/http/request-context';
import type { MfaChallengeDto } from '../mfa/dto/mfa-challenge.dto';
import { MfaService } from '../mfa/mfa.service';
import type { MfaMethod } from '../mfa/mfa.types';
import type { AuthResultDto, ClientType, DeviceInputDto } from '../sessions/dto/auth-result.dto';
import type { SessionAnswer } from '../sessions/session-cookies';
import { SessionIssuer } from '../sessions/session-issuer.service';
import { SignInRisk } from '../sign-in-risk/sign-in-risk.service';
import type { User } from '../users/user.entity';

export interface SignIn {
  user: User;
  amr: string[];
  /** Label of the method in audit events and metrics: password, otp, passkey, mfa_totp, … */
  method: string;
  /** Extra audit data (never a secret). */
  data?: Record<string, unknown>;
  /** Second factors that would prove what this first factor proved (the email factor after an email code). */
  excludedMethods?: MfaMethod[];
  client?: ClientType;
  device?: DeviceInputDto;
  ctx: RequestContext;
}

/**
 * The end of every sign-in flow, in one place: a user with a second factor gets the MFA
 * challenge (so does a sign-in from a new place under the tenant's `step_up` policy);
 * otherwise the session starts, the successful login is audited (and so counted) and its
 * place judged (SignInRisk).
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly sessions: SessionIssuer,
    private readonly mfa: MfaService,
    private readonly risk: SignInRisk,
  ) {}

  /** After the first factor: the MFA challenge (finished at POST /api/auth/mfa/verify), or an aal 1 session. */
  async afterFirstFactor(signIn: SignIn): Promise<SessionAnswer<AuthResultDto | MfaChallengeDto>> {
    const { user, amr, excludedMethods, ctx, client, device } = signIn;
    const stepUp = await this.risk.stepUpFor(signIn);
    const challenge = await this.mfa.startChallengeIfEnabled(user, {
      primaryAmr: amr,
      excludedMethods,
      reason: stepUp?.reason,
      ctx,
      client,
      device,
    });
    if (stepUp && challenge?.reason) await this.risk.stepUpAsked(user, stepUp, ctx);
    return challenge ? { body: challenge, cookies: [] } : this.startSession(signIn, 1);
  }

  async startSession(signIn: SignIn, aal: 1 | 2): Promise<SessionAnswer<AuthResultDto>> {
    const { user, amr, ctx, client, device, method } = signIn;
    const signInEvent = {
      type: 'login.succeeded',
      outcome: 'success',
      tenantId: user.tenantId,
      subjectId: user.id,
      data: { method, ...signIn.data },
    } as const;
    // Committed with the session; LoginMetricsListener counts it once it is.
    const answer = await this.sessions.start({ user, amr, aal, client, device, ctx, signInEvent });
    await this.risk.afterSignIn({ user, amr, aal, device, ctx, sessionId: answer.body.sessionId });
    return answer;
  }
}
