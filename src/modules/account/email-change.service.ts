import type { User } from '../users/user.entity';
import { pickLanguage } from '../../common/i18n/languages';
import { Injectable, Logger } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { DeliveryService } from '../delivery/delivery.service';
import { OtpService } from '../otp/otp.service';
import { renderEmailChangedNotice } from './account-notices';
import { ContactWriter } from './contact-writer.service';
import type { ChangeEmailDto, ChangeRequestedDto, VerifyEmailChangeDto } from './dto/account.dto';

const NOTICE_TTL_SECONDS = 24 * 3600;

/**
 * POST /api/account/email (+ /verify): a code to the new address, issued for this user only;
 * the answer is the same whoever holds the address. The old address gets a security notice.
 */
@Injectable()
export class EmailChangeService {
  private readonly logger = new Logger(EmailChangeService.name);

  constructor(
    private readonly otp: OtpService,
    private readonly writer: ContactWriter,
    private readonly delivery: DeliveryService,
  ) {}

  async request(auth: AuthPrincipal, input: ChangeEmailDto, ctx: RequestContext): Promise<ChangeRequestedDto> {
    await this.otp.issue({
      tenantId: auth.tenantId,
      purpose: 'email_change',
      destination: { channel: 'email', address: input.newEmail },
      userId: auth.userId,
      ctx,
    });
    return { status: 'verification_sent' };
  }

  async verify(auth: AuthPrincipal, input: VerifyEmailChangeDto, ctx: RequestContext) {
    const { userId } = await this.otp.check({
      tenantId: auth.tenantId,
      purpose: 'email_change',
      destination: { channel: 'email', address: input.newEmail },
      code: input.otp,
      ip: ctx.ip,
    });
    // A code issued for another account (it asked for the same address) changes nothing here.
    if (userId !== auth.userId) throw new AppException('OTP_INVALID');
    const { before, user } = await this.writer.apply(auth, { email: input.newEmail }, ctx);
    if (before.email && before.email !== input.newEmail)
      await this.noticeTo(before.email, user, auth, input.newEmail, ctx);
    return user;
  }

  /** Best effort: the change is made; a notice that cannot be queued is logged, never fails it. */
  private async noticeTo(oldEmail: string, user: User, auth: AuthPrincipal, newEmail: string, ctx: RequestContext) {
    try {
      await this.delivery.enqueue({
        tenantId: auth.tenantId,
        userId: user.id,
        destination: { channel: 'email', address: oldEmail },
        purpose: 'email_changed',
        content: renderEmailChangedNotice({ newEmail, at: new Date() }, pickLanguage({ userLocale: user.locale })),
        ttlSeconds: NOTICE_TTL_SECONDS,
        audit: { type: 'notice.sent', ctx, data: { kind: 'email_changed', channel: 'email' } },
      });
    } catch (error) {
      this.logger.warn({
        msg: 'email change notice not queued',
        requestId: ctx.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
