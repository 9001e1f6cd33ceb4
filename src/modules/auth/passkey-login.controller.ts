import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { answerWith } from '../sessions/session-cookies';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { WebAuthnOptionsDto } from '../mfa/dto/passkey.dto';
import { AuthResultDto, SET_SESSION_COOKIES } from '../sessions/dto/auth-result.dto';
import { PasskeyLoginOptionsDto, VerifyPasskeyLoginDto } from './dto/passkey-login.dto';
import { PasskeyLoginService } from './passkey-login.service';

@ApiTags('sign-in')
@Controller('api/auth/passkey')
export class PasskeyLoginController {
  constructor(private readonly passkeyLogin: PasskeyLoginService) {}

  @Post('options')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'passkeyLoginOptions',
    'WebAuthn request options for a passwordless login',
    'No allowCredentials (discoverable credentials); the same answer for every caller. The challenge is single use and lives 5 minutes.',
  )
  @ApiBody({ type: PasskeyLoginOptionsDto })
  @ApiOkResponse({ type: WebAuthnOptionsDto, description: 'PublicKeyCredentialRequestOptionsJSON' })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  passkeyLoginOptions(@ReqCtx() ctx: RequestContext, @Body() body: unknown) {
    return this.passkeyLogin.options(ctx, body);
  }

  @Post('verify')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'verifyPasskeyLogin',
    'Sign in with a passkey alone',
    'amr ["hwk"], aal 2. The authenticator must verify the user (UV flag), in this assertion and when the passkey was registered; a passkey registered without user verification is a second factor only (POST /api/auth/mfa/verify). Any failure (unknown credential, wrong user handle, no user verification, origin, challenge, signature, counter) is 401 UNAUTHORIZED.',
  )
  @ApiBody({ type: VerifyPasskeyLoginDto })
  @ApiOkResponse({ description: 'Signed in with the passkey', type: AuthResultDto, headers: SET_SESSION_COOKIES })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHORIZED', 'ACCOUNT_RESTRICTED', 'TENANT_UNKNOWN')
  async verifyPasskeyLogin(
    @ReqCtx() ctx: RequestContext,
    @Body() body: VerifyPasskeyLoginDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResultDto> {
    return answerWith(reply, await this.passkeyLogin.verify(ctx, body));
  }
}
