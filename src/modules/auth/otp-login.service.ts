import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { otpConfig } from '../../config/otp.config';
import { AuditService } from '../audit/audit.service';
import { PhoneDestinationPolicy } from '../delivery/phone-destination.policy';
import type { MfaChallengeDto } from '../mfa/dto/mfa-challenge.dto';
import { DurationSample } from '../otp/duration-sample';
import { OtpService } from '../otp/otp.service';
import { OtpDestinations } from './otp-destinations.service';
import { OtpLoginAccounts } from './otp-login-accounts.service';
import { SignInService } from './sign-in.service';
import type { OtpDestination } from '../otp/otp.types';
import type { AuthResultDto } from '../sessions/dto/auth-result.dto';
import type { SessionAnswer } from '../sessions/session-cookies';
import type { User } from '../users/user.entity';
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
    private readonly destinations: OtpDestinations,
    private readonly accounts: OtpLoginAccounts,
    private readonly audit: AuditService,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
    private readonly signIn: SignInService,
    private readonly phones: PhoneDestinationPolicy,
  ) {}

  async send(ctx: RequestContext, body: SendOtpDto): Promise<OtpSentResponseDto> {
    const destination = await this.destinations.of(ctx, body);
    // Before any account is looked up: a number we do not text gets one answer, account or not.
    if (destination.channel !== 'email') await this.phones.assertTextable(ctx.tenantId, destination.address);
    const startedAt = DurationSample.start();
    const holder = await this.accounts.holderOf(ctx.tenantId, destination);
    const userId = holder && !holder.deleted ? holder.id : null;
    // A deleted account's phone answers as an unknown one where sign-up is off: a pretend code.
    const mayCreate = destination.channel !== 'email' && this.config.signup && !holder;
    const fallbackChannel = await this.destinations.fallbackFor(ctx, destination);
    const input = { tenantId: ctx.tenantId, purpose: 'login' as const, destination, fallbackChannel, ctx };
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
    const destination = await this.destinations.of(ctx, body);
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
    let user = await this.accounts.userOf(ctx.tenantId, destination);
    // The account behind the destination changed since the code was sent: the code was not for it.
    if (issuedFor && user?.id !== issuedFor) user = null;
    if (!user && destination.channel !== 'email' && this.config.signup) {
      user = await this.accounts.createPhoneUser(ctx, destination.address);
    }
    if (!user) {
      await this.recordFailure(ctx, null, destination, 'OTP_EXPIRED');
      throw new AppException('OTP_EXPIRED');
    }
    if (user.status !== 'active') {
      await this.recordFailure(ctx, user, destination, 'ACCOUNT_RESTRICTED');
      throw new AppException('ACCOUNT_RESTRICTED');
    }
    await this.accounts.markPhoneVerified(user, destination);
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
