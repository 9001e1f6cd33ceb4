import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { Clock } from '../../common/clock/clock';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { CryptoService } from '../../common/crypto/crypto.service';
import { AppException, type ErrorCode } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { MetricsService } from '../../common/metrics/metrics.service';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { appConfig } from '../../config/app.config';
import { authConfig } from '../../config/auth.config';
import { AuditService } from '../audit/audit.service';
import type { MfaChallengeDto } from '../mfa/dto/mfa-challenge.dto';
import { DurationSample } from '../otp/duration-sample';
import { OtpService } from '../otp/otp.service';
import type { OtpDestination, OtpPurpose } from '../otp/otp.types';
import type { AuthResultDto, ClientType, DeviceInputDto } from '../sessions/dto/auth-result.dto';
import { SessionsService } from '../sessions/sessions.service';
import { TenantsService } from '../tenants/tenants.service';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type {
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  RegisterDto,
  ResendVerificationDto,
  ResetPasswordDto,
  VerifyEmailDto,
} from './dto/password-auth.dto';
import { SignInService } from './sign-in.service';
import { assertPasswordPolicy, type PasswordField } from './password-policy';

export const VERIFICATION_SENT = { status: 'verification_sent' } as const;
export const RESET_SENT = { status: 'reset_sent' } as const;

/**
 * Failures of sending a code that must not reach the caller of register / resend / forgot:
 * they happen only for accounts that exist, so answering them would tell an attacker which
 * emails have accounts. The code simply does not arrive; the user can ask again later.
 */
const SILENT_ISSUE_FAILURES = new Set<ErrorCode>([
  'OTP_RESEND_COOLDOWN',
  'TOO_MANY_REQUESTS',
  'DESTINATION_UNDELIVERABLE',
]);

interface SessionStart {
  client?: ClientType;
  device?: DeviceInputDto;
}

/**
 * Email + password accounts (API.md "Email + password"). Every answer that could tell an
 * existing account from an unknown email is made identical: same status, body and headers,
 * and one password hash either way so that timing does not tell either.
 */
@Injectable()
export class PasswordAuthService {
  private readonly logger = new Logger(PasswordAuthService.name);
  /**
   * What the real path costs from the account lookup on (a new account: an insert and a code
   * sent; a reset or a resend: a code sent), so that an email without it answers as late.
   */
  private readonly durations = {
    register: new DurationSample(25),
    resend: new DurationSample(25),
    forgot: new DurationSample(25),
  };

  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly otp: OtpService,
    private readonly sessions: SessionsService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly hasher: PasswordHasher,
    private readonly crypto: CryptoService,
    private readonly limiter: RateLimiter,
    private readonly metrics: MetricsService,
    private readonly signIn: SignInService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async register(ctx: RequestContext, input: RegisterDto): Promise<typeof VERIFICATION_SENT> {
    await this.assertPolicy(ctx.tenantId, input.password, 'password');
    // Hashed before the lookup, on every path: an existing email costs the same time as a new one.
    const passwordHash = await this.hasher.hash(input.password);
    // From before the lookup: loading a found account costs time an unknown email does not.
    const startedAt = DurationSample.start();
    const existing = await this.users.findByEmail(ctx.tenantId, input.email);
    if (existing && this.users.isEmailVerified(existing)) {
      await this.pretendQuietly(ctx, input.email, 'email_verify', this.durations.register, startedAt);
      return VERIFICATION_SENT;
    }
    if (existing) {
      await this.registerAgain(ctx, existing, input, passwordHash);
      return VERIFICATION_SENT;
    }
    let user: User;
    try {
      user = await this.em.transactional(async (em) => {
        const created = await this.users.createWithPassword(
          {
            tenantId: ctx.tenantId,
            email: input.email,
            passwordHash,
            firstName: input.firstName,
            lastName: input.lastName,
          },
          em,
        );
        await this.audit.record(
          {
            type: 'user.registered',
            outcome: 'success',
            tenantId: ctx.tenantId,
            subjectId: created.id,
            data: { method: 'password' },
          },
          ctx,
          em,
        );
        return created;
      });
    } catch (error) {
      // A concurrent registration of the same email won the race: answer as for any existing email.
      if (error instanceof UniqueConstraintViolationException) return VERIFICATION_SENT;
      throw error;
    }
    if (await this.sendCodeQuietly(ctx, user, 'email_verify')) this.durations.register.record(startedAt);
    return VERIFICATION_SENT;
  }

  async resendVerification(ctx: RequestContext, input: ResendVerificationDto): Promise<typeof VERIFICATION_SENT> {
    const startedAt = DurationSample.start();
    const user = await this.users.findByEmail(ctx.tenantId, input.email);
    if (user && !this.users.isEmailVerified(user)) {
      if (await this.sendCodeQuietly(ctx, user, 'email_verify')) this.durations.resend.record(startedAt);
    } else {
      await this.pretendQuietly(ctx, input.email, 'email_verify', this.durations.resend, startedAt);
    }
    return VERIFICATION_SENT;
  }

  async verifyEmail(ctx: RequestContext, input: VerifyEmailDto, reply: FastifyReply): Promise<AuthResultDto> {
    // The code is checked first, for every email: an unknown email has no live code (OTP_EXPIRED).
    await this.otp.verify({
      tenantId: ctx.tenantId,
      purpose: 'email_verify',
      destination: emailDestination(input.email),
      code: input.otp,
      ip: ctx.ip,
    });
    const user = await this.users.findByEmail(ctx.tenantId, input.email);
    if (!user) throw new AppException('OTP_EXPIRED');
    const wasVerified = this.users.isEmailVerified(user);
    await this.em.transactional(async (em) => {
      await this.users.markEmailVerified(user, this.clock.now(), em);
      if (!wasVerified) {
        await this.audit.record(
          { type: 'email.verified', outcome: 'success', tenantId: ctx.tenantId, subjectId: user.id },
          ctx,
          em,
        );
      }
      if (user.email && this.app.bootstrapAdminEmails.includes(user.email)) {
        const before = [...user.roles];
        if (await this.users.grantRole(user, 'admin', em)) {
          await this.audit.record(
            {
              type: 'role.changed',
              outcome: 'success',
              tenantId: ctx.tenantId,
              subjectId: user.id,
              data: { from: before, to: user.roles, reason: 'bootstrap_admin_email' },
            },
            ctx,
            em,
          );
        }
      }
    });
    this.assertActive(user);
    return this.sessions.start({ user, amr: ['otp'], aal: 1, client: input.client, device: input.device, ctx }, reply);
  }

  async login(ctx: RequestContext, input: LoginDto, reply: FastifyReply): Promise<AuthResultDto | MfaChallengeDto> {
    const failureKey = this.failureKey(ctx.tenantId, input.email);
    // The lookup overlaps the counter's round trip; its result is used only once the attempt is counted.
    const [, user] = await Promise.all([
      this.countAttempt(failureKey),
      this.users.findByEmail(ctx.tenantId, input.email),
    ]);
    const passwordOk = user?.passwordHash
      ? await this.hasher.verify(user.passwordHash, input.password)
      : await this.hasher.verifyAgainstDummy(input.password);
    if (!user || !passwordOk) {
      await this.recordLoginFailure(ctx, user, 'invalid_credentials');
      throw new AppException('INVALID_CREDENTIALS');
    }
    // A correct password is no failure; only wrong ones accumulate in the window.
    await this.limiter.reset(failureKey);
    // Only now, after a correct password, may the answer depend on the account's state.
    if (user.status !== 'active') {
      await this.recordLoginFailure(ctx, user, 'account_restricted');
      throw new AppException('ACCOUNT_RESTRICTED');
    }
    if (!this.users.isEmailVerified(user)) {
      await this.recordLoginFailure(ctx, user, 'email_not_verified');
      throw new AppException('EMAIL_NOT_VERIFIED');
    }
    if (this.hasher.needsRehash(user.passwordHash ?? '')) {
      await this.users.setPasswordHash(user, await this.hasher.hash(input.password), null);
    }
    return this.completePasswordLogin(ctx, user, input, reply);
  }

  async forgotPassword(ctx: RequestContext, input: ForgotPasswordDto): Promise<typeof RESET_SENT> {
    const startedAt = DurationSample.start();
    const user = await this.users.findByEmail(ctx.tenantId, input.email);
    if (user && this.users.isEmailVerified(user)) {
      await this.audit.record(
        { type: 'password.reset_requested', outcome: 'success', tenantId: ctx.tenantId, subjectId: user.id },
        ctx,
      );
      if (await this.sendCodeQuietly(ctx, user, 'password_reset')) this.durations.forgot.record(startedAt);
    } else {
      await this.pretendQuietly(ctx, input.email, 'password_reset', this.durations.forgot, startedAt);
    }
    return RESET_SENT;
  }

  async resetPassword(ctx: RequestContext, input: ResetPasswordDto): Promise<void> {
    // Policy before the code: a rejected password must not burn the code the user just received.
    await this.assertPolicy(ctx.tenantId, input.newPassword, 'newPassword');
    await this.otp.verify({
      tenantId: ctx.tenantId,
      purpose: 'password_reset',
      destination: emailDestination(input.email),
      code: input.otp,
      ip: ctx.ip,
    });
    const user = await this.users.findByEmail(ctx.tenantId, input.email);
    if (!user) throw new AppException('OTP_EXPIRED');
    const passwordHash = await this.hasher.hash(input.newPassword);
    await this.em.transactional(async (em) => {
      await this.users.setPasswordHash(user, passwordHash, this.clock.now(), em);
      await this.audit.record(
        { type: 'password.reset', outcome: 'success', tenantId: ctx.tenantId, subjectId: user.id },
        ctx,
        em,
      );
    });
    await this.sessions.revokeAllForUser(ctx.tenantId, user.id, 'password_reset', undefined, ctx);
    // The mailbox owner proved control: a lockout run up by a guesser ends here.
    await this.limiter.reset(this.failureKey(ctx.tenantId, input.email));
  }

  async changePassword(auth: AuthPrincipal, ctx: RequestContext, input: ChangePasswordDto): Promise<void> {
    const user = await this.users.findById(auth.tenantId, auth.userId);
    if (!user) throw new AppException('UNAUTHORIZED');
    const failureKey = user.email
      ? this.failureKey(auth.tenantId, user.email)
      : `rl:login-fail:${auth.tenantId}:user:${user.id}`;
    await this.assertPolicy(auth.tenantId, input.newPassword, 'newPassword');
    await this.countAttempt(failureKey);
    const currentOk = user.passwordHash
      ? await this.hasher.verify(user.passwordHash, input.currentPassword)
      : await this.hasher.verifyAgainstDummy(input.currentPassword);
    if (!currentOk) {
      await this.audit.record(
        {
          type: 'password.changed',
          outcome: 'failure',
          tenantId: auth.tenantId,
          subjectId: user.id,
          sessionId: auth.sessionId,
          data: { reason: 'invalid_credentials' },
        },
        ctx,
      );
      throw new AppException('INVALID_CREDENTIALS');
    }
    await this.limiter.reset(failureKey);
    const passwordHash = await this.hasher.hash(input.newPassword);
    await this.em.transactional(async (em) => {
      await this.users.setPasswordHash(user, passwordHash, this.clock.now(), em);
      await this.audit.record(
        {
          type: 'password.changed',
          outcome: 'success',
          tenantId: auth.tenantId,
          subjectId: user.id,
          sessionId: auth.sessionId,
        },
        ctx,
        em,
      );
    });
    await this.sessions.revokeAllForUser(auth.tenantId, user.id, 'password_changed', auth.sessionId, ctx);
  }

  /**
   * The password is verified and the account may sign in. A user with a second factor gets
   * `{ mfaRequired, mfaToken, methods }` instead of a session (POST /api/auth/mfa/verify
   * finishes the login at aal 2); everyone else gets a session at aal 1.
   */
  private async completePasswordLogin(
    ctx: RequestContext,
    user: User,
    start: SessionStart,
    reply: FastifyReply,
  ): Promise<AuthResultDto | MfaChallengeDto> {
    return this.signIn.afterFirstFactor(
      { user, amr: ['pwd'], method: 'password', client: start.client, device: start.device, ctx },
      reply,
    );
  }

  private async recordLoginFailure(ctx: RequestContext, user: User | null, reason: string): Promise<void> {
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
    this.metrics.loginOutcomes.labels('password', reason).inc();
  }

  /**
   * Keyed by tenant and normalised email, not user id, so that an unknown email locks
   * exactly like a real one and the 429 reveals nothing. Hashed: keys never hold addresses.
   */
  private failureKey(tenantId: string, email: string): string {
    return `rl:login-fail:${tenantId}:${this.crypto.sha256(email.trim().toLowerCase())}`;
  }

  /**
   * Counted before the password is checked, atomically: parallel guesses cannot all slip in
   * under the limit while earlier ones are still hashing. A correct password resets it.
   */
  private async countAttempt(key: string): Promise<void> {
    const state = await this.limiter.hit(key, this.auth.loginMaxFailures, this.auth.loginFailureWindow);
    if (!state.allowed) throw AppException.tooManyRequests(state.resetSeconds);
  }

  private async assertPolicy(tenantId: string, password: string, field: PasswordField): Promise<void> {
    const settings = await this.tenants.settingsOf(tenantId);
    assertPasswordPolicy(password, settings.passwordMinLength ?? this.auth.passwordMinLength, field);
  }

  private assertActive(user: User): void {
    if (user.status !== 'active') throw new AppException('ACCOUNT_RESTRICTED');
  }

  /** A repeated registration of an unverified account: resend its code. */
  private async registerAgain(ctx: RequestContext, user: User, input: RegisterDto, passwordHash: string) {
    // Pre-hijacking defence: whoever registered an unverified email last, and then proves the
    // mailbox, owns the password; an earlier registrant's password does not survive.
    await this.users.setPasswordHash(user, passwordHash, this.clock.now());
    await this.users.updateProfile(user, { firstName: input.firstName, lastName: input.lastName });
    await this.sendCodeQuietly(ctx, user, 'email_verify');
  }

  /** True when the code went out (false: a silent failure, see SILENT_ISSUE_FAILURES). */
  private async sendCodeQuietly(ctx: RequestContext, user: User, purpose: OtpPurpose): Promise<boolean> {
    if (!user.email) return false;
    const destination = emailDestination(user.email);
    return this.quietly(ctx, purpose, () =>
      this.otp.issue({ tenantId: ctx.tenantId, purpose, destination, userId: user.id, ctx }),
    );
  }

  /**
   * For an email the real path would send nothing to: the same send limits (a second try
   * meets the same cooldown) and, drawn from `like`, the same time since `startedAt`.
   */
  private async pretendQuietly(
    ctx: RequestContext,
    address: string,
    purpose: OtpPurpose,
    like: DurationSample,
    startedAt: number,
  ): Promise<void> {
    const destination = emailDestination(address);
    await this.quietly(ctx, purpose, () =>
      this.otp.issueWithoutSending({ tenantId: ctx.tenantId, purpose, destination, ctx }, { like, startedAt }),
    );
  }

  private async quietly(ctx: RequestContext, purpose: OtpPurpose, issue: () => Promise<unknown>): Promise<boolean> {
    try {
      await issue();
      return true;
    } catch (error) {
      if (error instanceof AppException && SILENT_ISSUE_FAILURES.has(error.code)) {
        this.logger.log({ msg: 'code not sent', purpose, code: error.code, requestId: ctx.requestId });
        return false;
      }
      throw error;
    }
  }
}

function emailDestination(address: string): OtpDestination {
  return { channel: 'email', address };
}
