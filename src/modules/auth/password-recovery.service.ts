import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { DurationSample } from '../otp/duration-sample';
import { OtpService } from '../otp/otp.service';
import { UsersService } from '../users/users.service';
import type { ForgotPasswordDto, ResetPasswordDto } from './dto/password-auth.dto';
import { LoginFailureBudget } from './login-failure-budget.service';
import { NewPasswordPolicy } from './new-password.service';
import { PasswordReplacer } from './password-replacer.service';
import { emailDestination, QuietCodeSender } from './quiet-code-sender.service';

export const RESET_SENT = { status: 'reset_sent' } as const;

/** A forgotten password: a mailed code, then a new password and every session ended. */
@Injectable()
export class PasswordRecoveryService {
  /** What a real reset request costs from the lookup on, so that an email without an account answers as late. */
  private readonly durations = new DurationSample(25);

  constructor(
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly otp: OtpService,
    private readonly codes: QuietCodeSender,
    private readonly passwords: NewPasswordPolicy,
    private readonly replacer: PasswordReplacer,
    private readonly budget: LoginFailureBudget,
  ) {}

  async forgotPassword(ctx: RequestContext, input: ForgotPasswordDto): Promise<typeof RESET_SENT> {
    const startedAt = DurationSample.start();
    const user = await this.users.findByEmail(ctx.tenantId, input.email);
    if (user?.email && this.users.isEmailVerified(user)) {
      await this.audit.record(
        { type: 'password.reset_requested', outcome: 'success', tenantId: ctx.tenantId, subjectId: user.id },
        ctx,
      );
      if (await this.codes.send(ctx, user.email, 'password_reset', user.id, user.locale))
        this.durations.record(startedAt);
    } else {
      await this.codes.pretend(ctx, input.email, 'password_reset', this.durations, startedAt);
    }
    return RESET_SENT;
  }

  async resetPassword(ctx: RequestContext, input: ResetPasswordDto): Promise<void> {
    // Policy before the code: a rejected password must not burn the code the user just received.
    await this.passwords.assert(ctx, input.newPassword, 'newPassword', 'reset');
    const { userId: issuedFor } = await this.otp.check({
      tenantId: ctx.tenantId,
      purpose: 'password_reset',
      destination: emailDestination(input.email),
      code: input.otp,
      ip: ctx.ip,
    });
    const user = issuedFor ? await this.users.findById(ctx.tenantId, issuedFor) : null;
    // The code resets the account it was sent for, and only while the address is still that account's.
    if (!user || user.status === 'deleted' || user.email !== input.email || !this.users.isEmailVerified(user)) {
      throw new AppException('OTP_EXPIRED');
    }
    await this.replacer.replace(
      user,
      input.newPassword,
      {
        event: { type: 'password.reset', outcome: 'success', tenantId: ctx.tenantId, subjectId: user.id },
        revoke: { reason: 'password_reset' },
      },
      ctx,
    );
    // The mailbox owner proved control: a lockout run up by a guesser ends here.
    await this.budget.clear(this.budget.keyOfEmail(ctx.tenantId, input.email));
  }
}
