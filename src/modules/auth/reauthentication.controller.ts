import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { WebAuthnOptionsDto } from '../mfa/dto/passkey.dto';
import { ApiReauthenticateBody, ReauthenticateDto, ReauthenticatedDto } from './dto/reauthenticate.dto';
import { ReauthenticationService } from './reauthentication.service';

@ApiTags('sessions')
@Controller('api/auth/reauthenticate')
export class ReauthenticationController {
  constructor(private readonly reauthentication: ReauthenticationService) {}

  @Post()
  @Authenticated()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'reauthenticate',
    'Prove it is still you: the current session counts as freshly signed in',
    'For step-up routes (they answer 401 REAUTH_REQUIRED once the last sign-in is older than REAUTH_WINDOW): give ' +
      '`{password}`, or `{method: "totp" | "recovery_code", code}`, or `{method: "passkey", response}` with the ' +
      "options of POST /api/auth/reauthenticate/passkey/options. The session's auth_time becomes now and the same " +
      "access token passes step-up at once; no new session, no new tokens. The session's amr gains the method's " +
      'value (pwd, otp, hwk) when new, seen in the next refreshed token. A wrong proof counts against the same ' +
      "budgets as a sign-in's (429 once spent); a recovery code is used up.",
  )
  @ApiReauthenticateBody()
  @ApiOkResponse({ description: "The session's new auth_time", type: ReauthenticatedDto })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'MFA_INVALID', 'FORBIDDEN')
  reauthenticate(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: ReauthenticateDto,
  ): Promise<ReauthenticatedDto> {
    return this.reauthentication.reauthenticate(auth, ctx, body);
  }

  @Post('passkey/options')
  @Authenticated()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'reauthenticatePasskeyOptions',
    "WebAuthn request options for re-authenticating with one of the caller's passkeys",
    'Pass them to `navigator.credentials.get()` and send the result to POST /api/auth/reauthenticate with ' +
      '`method: "passkey"`. The challenge belongs to this session, is single use and lives 5 minutes. ' +
      'MFA_INVALID when the caller has no passkey.',
  )
  @ApiOkResponse({ type: WebAuthnOptionsDto, description: 'PublicKeyCredentialRequestOptionsJSON' })
  @ApiErrors('MFA_INVALID', 'FORBIDDEN')
  passkeyOptions(@CurrentSession() auth: AuthPrincipal) {
    return this.reauthentication.passkeyOptions(auth);
  }
}
