import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { OtpService } from '../otp/otp.service';
import type { AuthResultDto } from '../sessions/dto/auth-result.dto';
import type { SessionAnswer } from '../sessions/session-cookies';
import type { VerifyEmailDto } from './dto/password-auth.dto';
import { emailDestination } from './quiet-code-sender.service';
import { RegistrationActivation } from './registration-activation.service';
import { SignInService } from './sign-in.service';

/** The mailed code proves the mailbox: the pending registration becomes the user, signed in. */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly otp: OtpService,
    private readonly activation: RegistrationActivation,
    private readonly signIn: SignInService,
  ) {}

  async verifyEmail(ctx: RequestContext, input: VerifyEmailDto): Promise<SessionAnswer<AuthResultDto>> {
    // The code is checked first, for every email: a wrong one is OTP_INVALID for a decoy as for a real code.
    const { userId: registrationId } = await this.otp.check({
      tenantId: ctx.tenantId,
      purpose: 'email_verify',
      destination: emailDestination(input.email),
      code: input.otp,
      ip: ctx.ip,
    });
    const user = registrationId ? await this.activation.activate(ctx, input.email, registrationId) : null;
    if (!user) throw new AppException('OTP_EXPIRED');
    // A new account has no second factor to ask for: the session starts at aal 1.
    return this.signIn.startSession(
      { user, amr: ['otp'], method: 'email_verify', client: input.client, device: input.device, ctx },
      1,
    );
  }
}
