import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { answerWith } from '../sessions/session-cookies';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { RequireCaptcha } from '../captcha/require-captcha.decorator';
import { ApiAuthResultOrMfaChallenge } from '../mfa/dto/mfa-challenge.dto';
import { ApiSendOtpBody, ApiVerifyOtpBody, OtpSentResponseDto, SendOtpDto, VerifyOtpDto } from './dto/otp-login.dto';
import { OtpLoginService } from './otp-login.service';

@ApiTags('sign-in')
@Controller('api/auth')
export class OtpLoginController {
  constructor(private readonly otpLogin: OtpLoginService) {}

  @Post('send-otp')
  @Public()
  @AuthThrottle()
  @RequireCaptcha()
  @HttpCode(HttpStatus.ACCEPTED)
  @Operation(
    'sendOtp',
    'Send a one-time sign-in code by WhatsApp, SMS or email',
    'Give `phone` (+ optional `channel`) or `email`. The answer is the same whether or not an account exists. ' +
      'Only mobile numbers are texted (not premium rate, toll-free, landline, satellite or other international ' +
      "network numbers), in the tenant's `smsCountries` when it names any: others get 422 DESTINATION_UNDELIVERABLE. " +
      'Phone sends stop with 429 TOO_MANY_REQUESTS while an hourly SMS budget is spent.',
  )
  @ApiSendOtpBody()
  @ApiAcceptedResponse({
    description: 'The code is on its way; `channel` says which channel it went out on first',
    type: OtpSentResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'OTP_RESEND_COOLDOWN', 'DESTINATION_UNDELIVERABLE', 'TENANT_UNKNOWN')
  sendOtp(@ReqCtx() ctx: RequestContext, @Body() body: SendOtpDto) {
    return this.otpLogin.send(ctx, body);
  }

  @Post('verify-otp')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'verifyOtp',
    'Sign in with the one-time code',
    'The first successful login of a new phone creates the account (phone verified).',
  )
  @ApiVerifyOtpBody()
  @ApiAuthResultOrMfaChallenge()
  @ApiErrors('VALIDATION_FAILED', 'OTP_INVALID', 'OTP_EXPIRED', 'ACCOUNT_RESTRICTED', 'TENANT_UNKNOWN')
  async verifyOtp(
    @ReqCtx() ctx: RequestContext,
    @Body() body: VerifyOtpDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answerWith(reply, await this.otpLogin.verify(ctx, body));
  }
}
