import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { otpConfig } from '../../config/otp.config';
import type { OtpSentResponseDto } from '../auth/dto/otp-login.dto';
import { PhoneDestinationPolicy } from '../delivery/phone-destination.policy';
import { OtpService } from '../otp/otp.service';
import { requirePhone } from '../otp/phone-number';
import { ContactWriter } from './contact-writer.service';
import type { ChangePhoneDto, VerifyPhoneChangeDto } from './dto/account.dto';

/**
 * POST /api/account/phone (+ /verify): a code to the new number by WhatsApp or SMS under the
 * same policies as send-otp (mobile numbers, the tenant's countries, the SMS budgets); only the
 * code, issued for this user, sets the number.
 */
@Injectable()
export class PhoneChangeService {
  constructor(
    private readonly otp: OtpService,
    private readonly phones: PhoneDestinationPolicy,
    private readonly writer: ContactWriter,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
  ) {}

  async request(auth: AuthPrincipal, input: ChangePhoneDto, ctx: RequestContext): Promise<OtpSentResponseDto> {
    const phone = requirePhone(input.phone);
    await this.phones.assertTextable(auth.tenantId, phone);
    const issued = await this.otp.issue({
      tenantId: auth.tenantId,
      purpose: 'phone_change',
      destination: { channel: input.channel ?? this.config.defaultChannel, address: phone },
      userId: auth.userId,
      ctx,
    });
    return { status: 'sent', ...issued };
  }

  async verify(auth: AuthPrincipal, input: VerifyPhoneChangeDto, ctx: RequestContext) {
    const phone = requirePhone(input.phone);
    // Either phone channel proves the number, as for sign-in codes.
    const { userId } = await this.otp.check({
      tenantId: auth.tenantId,
      purpose: 'phone_change',
      destination: { channel: 'sms', address: phone },
      code: input.otp,
      ip: ctx.ip,
    });
    if (userId !== auth.userId) throw new AppException('OTP_INVALID');
    return (await this.writer.apply(auth, { phone }, ctx)).user;
  }
}
