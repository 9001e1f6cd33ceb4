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
import { PendingRegistrationsService, type LiveRegistration } from '../users/pending-registrations.service';
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
import { BreachedPasswordsService, type PasswordFlow } from './breached-passwords.service';
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
 *
 * A registration is no account until its mailbox is proven: it waits as a pending
 * registration, and only the verification code issued for it makes it a user, with the
 * password given in that registration. Registering the address again never changes that
 * password; with a different one it discards it (nobody can tell which registrant owns the
 * mailbox), and the owner then gets the account by the code with no password at all.
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
    private readonly registrations: PendingRegistrationsService,
    private readonly otp: OtpService,
    private readonly sessions: SessionsService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly hasher: PasswordHasher,
    private readonly crypto: CryptoService,
    private readonly limiter: RateLimiter,
    private readonly metrics: MetricsService,
    private readonly signIn: SignInService,
    private readonly breached: BreachedPasswordsService,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async register(ctx: RequestContext, input: RegisterDto): Promise<typeof VERIFICATION_SENT> {
    // Before the lookup, for every email: a refused password says nothing about the address.
    await this.assertNewPassword(ctx, input.password, 'password', 'register');
    // From before the lookups: what they find changes what they cost.
    const startedAt = DurationSample.start();
    const now = this.clock.now();
    if (await this.users.idOf(ctx.tenantId, { email: input.email })) {
      // The argon2 work of a real registration, so that the machine is as busy either way.
      await this.hasher.hash(input.password);
      await this.pretendQuietly(ctx, input.email, 'email_verify', this.durations.register, startedAt);
      return VERIFICATION_SENT;
    }
    const pending = await this.registrations.findLive(ctx.tenantId, input.email, now);
    if (pending) {
      await this.registerAgain(ctx, input, pending);
      return VERIFICATION_SENT;
    }
    const passwordHash = await this.hasher.hash(input.password);
    const registrationId = await this.registrations.create(
      {
        tenantId: ctx.tenantId,
        email: input.email,
        passwordHash,
        firstName: input.firstName,
        lastName: input.lastName,
      },
      now,
    );
    if (!registrationId) {
      // A concurrent registration of the address won: this one registers it again.
      const winner = await this.registrations.findLive(ctx.tenantId, input.email, now);
      if (winner) await this.registerAgain(ctx, input, winner);
      return VERIFICATION_SENT;
    }
    if (await this.sendVerification(ctx, input.email, registrationId)) this.durations.register.record(startedAt);
    return VERIFICATION_SENT;
  }

  async resendVerification(ctx: RequestContext, input: ResendVerificationDto): Promise<typeof VERIFICATION_SENT> {
    const startedAt = DurationSample.start();
    const pending = await this.registrations.findLive(ctx.tenantId, input.email, this.clock.now());
    if (pending) {
      // A new code for the same registration: a resend never changes what the code activates.
      if (await this.sendVerification(ctx, input.email, pending.id)) this.durations.resend.record(startedAt);
    } else {
      await this.pretendQuietly(ctx, input.email, 'email_verify', this.durations.resend, startedAt);
    }
    return VERIFICATION_SENT;
  }

  async verifyEmail(ctx: RequestContext, input: VerifyEmailDto, reply: FastifyReply): Promise<AuthResultDto> {
    // The code is checked first, for every email: a wrong one is OTP_INVALID for a decoy as for a real code.
    const { userId: registrationId } = await this.otp.check({
      tenantId: ctx.tenantId,
      purpose: 'email_verify',
      destination: emailDestination(input.email),
      code: input.otp,
      ip: ctx.ip,
    });
    const user = registrationId ? await this.activate(ctx, input.email, registrationId) : null;
    if (!user) throw new AppException('OTP_EXPIRED');
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
    await this.assertNewPassword(ctx, input.newPassword, 'newPassword', 'reset');
    const { userId: issuedFor } = await this.otp.check({
      tenantId: ctx.tenantId,
      purpose: 'password_reset',
      destination: emailDestination(input.email),
      code: input.otp,
      ip: ctx.ip,
    });
    const user = issuedFor ? await this.users.findById(ctx.tenantId, issuedFor) : null;
    // The code resets the account it was sent for, and only while the address is still that account's.
    if (!user || user.email !== input.email || !this.users.isEmailVerified(user)) {
      throw new AppException('OTP_EXPIRED');
    }
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
    await this.assertNewPassword(ctx, input.newPassword, 'newPassword', 'change', user.id);
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

  /** The tenant's length policy and the common list, then the breach corpus (PASSWORD_BREACHED in block mode). */
  private async assertNewPassword(
    ctx: RequestContext,
    password: string,
    field: PasswordField,
    flow: PasswordFlow,
    subjectId?: string,
  ): Promise<void> {
    const settings = await this.tenants.settingsOf(ctx.tenantId);
    assertPasswordPolicy(password, settings.passwordMinLength ?? this.auth.passwordMinLength, field);
    await this.breached.screen({ password, field, flow, ctx, subjectId });
  }

  /**
   * The address is registered and waiting for its code. Its registration stays what it is: a
   * second registrant never sets its password, and a different password discards it. One
   * argon2 operation, as on every other path of register.
   */
  private async registerAgain(ctx: RequestContext, input: RegisterDto, pending: LiveRegistration): Promise<void> {
    const samePassword = await this.hasher.verify(pending.passwordHash, input.password);
    if (!samePassword && !pending.isContested) await this.registrations.contest(pending.id, this.clock.now());
    await this.sendVerification(ctx, input.email, pending.id);
  }

  /**
   * The mailbox of a pending registration is proven: it becomes the user, in one transaction
   * with its events (and the bootstrap admin role). Null when it no longer lives, or an
   * account took the address meanwhile.
   */
  private async activate(ctx: RequestContext, email: string, registrationId: string): Promise<User | null> {
    const now = this.clock.now();
    try {
      return await this.em.transactional(async (em) => {
        const registration = await this.registrations.claim(
          em,
          { id: registrationId, tenantId: ctx.tenantId, email },
          now,
        );
        if (!registration) return null;
        const user = await this.users.createFromRegistration(registration, now, em);
        const subject = { tenantId: ctx.tenantId, subjectId: user.id };
        await this.audit.record(
          {
            type: 'user.registered',
            outcome: 'success',
            ...subject,
            data: { method: 'password', passwordDiscarded: registration.wasContested },
          },
          ctx,
          em,
        );
        await this.audit.record({ type: 'email.verified', outcome: 'success', ...subject }, ctx, em);
        if (this.app.bootstrapAdminEmails.includes(registration.email)) {
          const before = [...user.roles];
          if (await this.users.grantRole(user, 'admin', em)) {
            await this.audit.record(
              {
                type: 'role.changed',
                outcome: 'success',
                ...subject,
                data: { from: before, to: user.roles, reason: 'bootstrap_admin_email' },
              },
              ctx,
              em,
            );
          }
        }
        return user;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
  }

  /** A code that activates registration `registrationId` (and nothing else) when typed back. */
  private sendVerification(ctx: RequestContext, address: string, registrationId: string): Promise<boolean> {
    const destination = emailDestination(address);
    return this.quietly(ctx, 'email_verify', () =>
      this.otp.issue({ tenantId: ctx.tenantId, purpose: 'email_verify', destination, userId: registrationId, ctx }),
    );
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
   * meets the same cooldown), a decoy code that wrong guesses meet as they would a real one,
   * and, drawn from `like`, the same time since `startedAt`.
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
