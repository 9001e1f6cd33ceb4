import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { SET_SESSION_COOKIES } from '../sessions/dto/auth-result.dto';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { answerWith } from '../sessions/session-cookies';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { WebAuthnOptionsDto } from '../mfa/dto/passkey.dto';
import { MfaAuthResultDto, MfaEmailSentDto, MfaTokenDto, VerifyMfaDto } from './dto/mfa-challenge.dto';
import { MfaChallengeService } from './mfa-challenge.service';

/**
 * API.md "Login challenge": finishes a login whose first factor answered
 * `{mfaRequired:true, mfaToken, methods}`. A bad, expired, used or burned mfaToken (or one of
 * another tenant) is 401 UNAUTHORIZED; a wrong second factor is 401 MFA_INVALID.
 */
@ApiTags('sign-in')
@Controller('api/auth/mfa')
export class MfaChallengeController {
  constructor(private readonly challenge: MfaChallengeService) {}

  @Post('email/send')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @Operation(
    'sendMfaEmailCode',
    'Mail a login code to the account email (method "email"); lives 10 minutes',
    'MFA_INVALID when the challenge does not offer "email", e.g. after a sign-in by email code (the mailbox was the first factor).',
  )
  @ApiBody({ type: MfaTokenDto })
  @ApiAcceptedResponse({
    description: "A code was mailed to the account's address (or a resend is still cooling down)",
    type: MfaEmailSentDto,
  })
  @ApiErrors(
    'VALIDATION_FAILED',
    'UNAUTHORIZED',
    'MFA_INVALID',
    'ACCOUNT_RESTRICTED',
    'ACCOUNT_DELETED',
    'OTP_RESEND_COOLDOWN',
    'DESTINATION_UNDELIVERABLE',
    'TENANT_UNKNOWN',
  )
  sendMfaEmailCode(@ReqCtx() ctx: RequestContext, @Body() body: MfaTokenDto): Promise<MfaEmailSentDto> {
    return this.challenge.sendEmailCode(ctx, body.mfaToken);
  }

  @Post('passkey/options')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'mfaPasskeyOptions',
    'WebAuthn request options for the user\'s passkeys (method "passkey")',
    'Pass the options to `navigator.credentials.get()` (or @simplewebauthn/browser\'s startAuthentication) and send the result to POST /api/auth/mfa/verify with `method: "passkey"`. The challenge is single use and lives 5 minutes.',
  )
  @ApiBody({ type: MfaTokenDto })
  @ApiOkResponse({ type: WebAuthnOptionsDto, description: 'PublicKeyCredentialRequestOptionsJSON' })
  @ApiErrors(
    'VALIDATION_FAILED',
    'UNAUTHORIZED',
    'MFA_INVALID',
    'ACCOUNT_RESTRICTED',
    'ACCOUNT_DELETED',
    'TENANT_UNKNOWN',
  )
  mfaPasskeyOptions(@ReqCtx() ctx: RequestContext, @Body() body: MfaTokenDto) {
    return this.challenge.passkeyOptions(ctx, body.mfaToken);
  }

  @Post('verify')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'verifyMfa',
    'Answer the second factor; starts a session with aal 2',
    'Every guess takes a place in the token\'s budget (5, the fifth wrong one burns it) and the account\'s (LOGIN_MAX_FAILURES per LOGIN_FAILURE_WINDOW, then 429) before the factor is checked; a right one gives its place back. A method the challenge did not offer is MFA_INVALID: after a sign-in by email code, "email" is not offered.',
  )
  @ApiBody({ type: VerifyMfaDto })
  @ApiOkResponse({
    description: 'Signed in with two factors (`aal` 2)',
    type: MfaAuthResultDto,
    headers: SET_SESSION_COOKIES,
  })
  @ApiErrors(
    'VALIDATION_FAILED',
    'UNAUTHORIZED',
    'MFA_INVALID',
    'ACCOUNT_RESTRICTED',
    'ACCOUNT_DELETED',
    'TENANT_UNKNOWN',
  )
  async verifyMfa(
    @ReqCtx() ctx: RequestContext,
    @Body() body: VerifyMfaDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MfaAuthResultDto> {
    return answerWith(reply, await this.challenge.verify(ctx, body));
  }
}
