import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { otpConfig } from '../../config/otp.config';
import { AuditService } from '../audit/audit.service';
import { PhoneDestinationPolicy } from '../delivery/phone-destination.policy';
import type { MfaChallengeDto } from '../mfa/dto/mfa-challenge.dto';
import { DurationSample } from '../otp/duration-sample';
import { OtpService } from '../otp/otp.service';
import { SignInService } from './sign-in.service';
import type { OtpDestination } from '../otp/otp.types';
import { requirePhone } from '../otp/phone-number';
import type { AuthResultDto } from '../sessions/dto/auth-result.dto';
import type { SessionAnswer } from '../sessions/session-cookies';
import { TenantsService } from '../tenants/tenants.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { OtpSentResponseDto, SendOtpDto, VerifyOtpDto } from './dto/otp-login.dto';

/**
 * Passwordless sign-in with a one-time code by WhatsApp, SMS or email. A new phone becomes
 * an account on its first successful login (OTP_SIGNUP); email codes only sign in existing
 * accounts whose email is verified, and any other email gets exactly the answer a known one
 * gets, down to a decoy code that wrong guesses meet.
 */
@Injectable()
export class OtpLoginService {
  /** How long a real send takes from the account lookup on, so that a pretend one answers as late. */
  private readonly sendDurations = { email: new DurationSample(25), phone: new DurationSample(25) };

  constructor(
    private readonly otp: OtpService,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly em: EntityManager,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly signIn: SignInService,
    private readonly phones: PhoneDestinationPolicy,
  ) {}

  async send(ctx: RequestContext, body: SendOtpDto): Promise<OtpSentResponseDto> {
    const destination = await this.destinationOf(ctx, body);
    // Before any account is looked up: a number we do not text gets one answer, account or not.
    if (destination.channel !== 'email') await this.phones.assertTextable(ctx.tenantId, destination.address);
    const startedAt = DurationSample.start();
    const userId = await this.users.idOf(
      ctx.tenantId,
      destination.channel === 'email' ? { email: destination.address } : { phone: destination.address },
    );
    const mayCreate = destination.channel !== 'email' && this.config.signup;
    const input = { tenantId: ctx.tenantId, purpose: 'login' as const, destination, ctx };
    const durations = this.sendDurations[destination.channel === 'email' ? 'email' : 'phone'];
    if (!userId && !mayCreate) {
      const pretended = await this.otp.issueWithoutSending(input, { like: durations, startedAt });
      return { status: 'sent', ...pretended };
    }
    const result = await this.otp.issue({ ...input, userId });
    durations.record(startedAt);
    return { status: 'sent', ...result };
  }

  async verify(ctx: RequestContext, body: VerifyOtpDto): Promise<SessionAnswer<AuthResultDto | MfaChallengeDto>> {
    const destination = await this.destinationOf(ctx, body);
    let issuedFor: string | null;
    try {
      ({ userId: issuedFor } = await this.otp.check({
        tenantId: ctx.tenantId,
        purpose: 'login',
        destination,
        code: body.otp,
        ip: ctx.ip,
      }));
    } catch (error) {
      const reason = error instanceof AppException ? error.code : 'error';
      await this.recordFailure(ctx, null, destination, reason);
      throw error;
    }
    let user = await this.userOf(ctx.tenantId, destination);
    // The account behind the destination changed since the code was sent: the code was not for it.
    if (issuedFor && user?.id !== issuedFor) user = null;
    if (!user && destination.channel !== 'email' && this.config.signup) {
      user = await this.createPhoneUser(ctx, destination.address);
    }
    if (!user) {
      await this.recordFailure(ctx, null, destination, 'OTP_EXPIRED');
      throw new AppException('OTP_EXPIRED');
    }
    if (user.status !== 'active') {
      await this.recordFailure(ctx, user, destination, 'ACCOUNT_RESTRICTED');
      throw new AppException('ACCOUNT_RESTRICTED');
    }
    // The code proves control of the phone. (An email signs in only once already proven: userOf.)
    if (destination.channel !== 'email' && !user.phoneVerifiedAt) {
      user.phoneVerifiedAt = this.clock.now();
      await this.em.persist(user).flush();
    }
    return this.signIn.afterFirstFactor({
      user,
      amr: ['otp'],
      method: 'otp',
      data: { channel: destination.channel },
      // The code proved the mailbox; the email factor would only prove it again.
      excludedMethods: destination.channel === 'email' ? ['email'] : [],
      client: body.client,
      device: body.device,
      ctx,
    });
  }

  /** Validates and normalises the destination and checks the tenant allows its channel. */
  private async destinationOf(ctx: RequestContext, body: SendOtpDto | VerifyOtpDto): Promise<OtpDestination> {
    if (body.phone !== undefined && body.email !== undefined) {
      throw new AppException('VALIDATION_FAILED', [
        { field: 'email', message: 'give either phone or email, not both' },
      ]);
    }
    const destination: OtpDestination =
      body.phone !== undefined
        ? {
            channel: ('channel' in body && body.channel) || this.config.defaultChannel,
            address: requirePhone(body.phone),
          }
        : { channel: 'email', address: body.email ?? '' };
    const allowed = (await this.tenants.settingsOf(ctx.tenantId)).allowedOtpChannels;
    // For verification the channel of a phone code does not matter: either phone channel is enough.
    const phoneAllowed = !allowed || allowed.includes('sms') || allowed.includes('whatsapp');
    const isAllowed =
      !allowed ||
      ('otp' in body && destination.channel !== 'email' ? phoneAllowed : allowed.includes(destination.channel));
    if (!isAllowed) {
      const field = 'channel' in body && body.channel ? 'channel' : destination.channel === 'email' ? 'email' : 'phone';
      throw new AppException('VALIDATION_FAILED', [{ field, message: 'this channel is not enabled for the tenant' }]);
    }
    return destination;
  }

  /**
   * The account a code signs in. An email counts only once its owner proved it (as in `send`):
   * an address someone typed in and nobody verified is no account, so a code to it signs
   * nobody in and proves nothing about whoever set a password or factors on it.
   */
  private async userOf(tenantId: string, destination: OtpDestination): Promise<User | null> {
    if (destination.channel !== 'email') return this.users.findByPhone(tenantId, destination.address);
    const user = await this.users.findByEmail(tenantId, destination.address);
    return user && this.users.isEmailVerified(user) ? user : null;
  }

  /** Two first logins of one phone at once: the unique (tenant, phone) lets one insert win; the other reads it. */
  private async createPhoneUser(ctx: RequestContext, phone: string): Promise<User> {
    const em = this.em.fork();
    try {
      return await em.transactional(async (tx) => {
        const user = tx.create(User, { tenantId: ctx.tenantId, phone, phoneVerifiedAt: this.clock.now() });
        await tx.persist(user).flush();
        await this.audit.record(
          {
            type: 'user.registered',
            outcome: 'success',
            tenantId: ctx.tenantId,
            subjectId: user.id,
            data: { method: 'otp', channel: 'phone' },
          },
          ctx,
          tx,
        );
        return user;
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const existing = await this.users.findByPhone(ctx.tenantId, phone);
      if (!existing) throw error;
      return existing;
    }
  }

  private async recordFailure(
    ctx: RequestContext,
    user: User | null,
    destination: OtpDestination,
    reason: string,
  ): Promise<void> {
    await this.audit.record(
      {
        type: 'login.failed',
        outcome: 'failure',
        tenantId: ctx.tenantId,
        subjectId: user?.id ?? null,
        data: { method: 'otp', channel: destination.channel, reason },
      },
      ctx,
    );
  }
}
