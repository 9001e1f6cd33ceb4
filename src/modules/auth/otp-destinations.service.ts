import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { otpConfig } from '../../config/otp.config';
import type { OtpDestination } from '../otp/otp.types';
import { requirePhone } from '../otp/phone-number';
import type { PhoneChannel } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import type { SendOtpDto, VerifyOtpDto } from './dto/otp-login.dto';

/** Where an OTP login's code goes (or came from), as the tenant allows it. */
@Injectable()
export class OtpDestinations {
  constructor(
    private readonly tenants: TenantsService,
    @Inject(otpConfig.KEY) private readonly config: ConfigType<typeof otpConfig>,
  ) {}

  /** Validates and normalises the destination and checks the tenant allows its channel. */
  async of(ctx: RequestContext, body: SendOtpDto | VerifyOtpDto): Promise<OtpDestination> {
    if (body.phone !== undefined && body.email !== undefined) {
      throw new AppException('VALIDATION_FAILED', [
        { field: 'email', message: 'give either phone or email, not both' },
      ]);
    }
    if ('channel' in body && body.channel !== undefined && body.phone === undefined) {
      throw new AppException('VALIDATION_FAILED', [
        { field: 'channel', message: 'applies to a phone only: an email code always goes by email' },
      ]);
    }
    const { allowedOtpChannels: allowed, channelOrder } = await this.tenants.settingsOf(ctx.tenantId);
    const destination: OtpDestination =
      body.phone !== undefined
        ? {
            channel:
              ('channel' in body && body.channel) ||
              channelOrder?.find((channel) => !allowed || allowed.includes(channel)) ||
              this.config.defaultChannel,
            address: requirePhone(body.phone),
          }
        : { channel: 'email', address: body.email ?? '' };
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

  /** The channel that takes over a phone code sent by `destination.channel`: the next allowed one of the tenant's `channelOrder`. */
  async fallbackFor(ctx: RequestContext, destination: OtpDestination): Promise<PhoneChannel | undefined> {
    if (destination.channel === 'email') return undefined;
    const { allowedOtpChannels: allowed, channelOrder = [] } = await this.tenants.settingsOf(ctx.tenantId);
    const position = channelOrder.indexOf(destination.channel);
    if (position < 0) return undefined;
    return channelOrder.slice(position + 1).find((channel) => !allowed || allowed.includes(channel));
  }
}
