import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { RequireRecentAuth } from '../../common/auth/require-recent-auth.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { MfaStatusDto, PasskeyViewDto } from './dto/mfa-status.dto';
import { PasskeyCreatedDto, PasskeyNameDto, RegisterPasskeyDto, WebAuthnOptionsDto } from './dto/passkey.dto';
import { FactorEnabledResponseDto, RecoveryCodesResponseDto, TotpCodeDto, TotpSetupResponseDto } from './dto/totp.dto';
import { MfaService } from './mfa.service';

/** API.md "MFA" management: the caller's own factors. Changes need a recent login (REAUTH_WINDOW). */
@ApiTags('mfa')
@Controller('api/mfa')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get()
  @Authenticated()
  @Operation(
    'getMfaStatus',
    "The caller's second factors",
    'Which second factors are enabled, the passkeys by name, and how many recovery codes are left.',
  )
  @ApiOkResponse({ description: "The caller's second factors", type: MfaStatusDto })
  getMfaStatus(@CurrentSession() auth: AuthPrincipal): Promise<MfaStatusDto> {
    return this.mfa.status(auth);
  }

  @Post('totp/setup')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'setupTotp',
    'Start TOTP enrolment',
    'Inactive until confirmed with a code; a new setup replaces a pending one.',
  )
  @ApiOkResponse({
    description: 'A new secret, its otpauth:// URL and a QR code (data: URL); TOTP is not active until confirmed',
    type: TotpSetupResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN', 'CONFLICT')
  setupTotp(@CurrentSession() auth: AuthPrincipal): Promise<TotpSetupResponseDto> {
    return this.mfa.setupTotp(auth);
  }

  @Post('totp/confirm')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'confirmTotp',
    'Activate TOTP with a first code',
    "The first code from the authenticator app turns TOTP on. When it is the account's first factor, the answer carries ten recovery codes, shown this once: store them safely. Needs a recent sign-in (REAUTH_REQUIRED otherwise).",
  )
  @ApiOkResponse({
    description: 'TOTP is on (recovery codes only when it is the first factor)',
    type: FactorEnabledResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'MFA_INVALID', 'FORBIDDEN')
  async confirmTotp(
    @CurrentSession() auth: AuthPrincipal,
    @Body() body: TotpCodeDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<FactorEnabledResponseDto> {
    return { enabled: true, ...(await this.mfa.confirmTotp(auth, body.code, ctx)) };
  }

  @Delete('totp')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'disableTotp',
    'Turn TOTP off (needs a current code)',
    'Needs a current code from the authenticator app and a recent sign-in.',
  )
  @ApiNoContentResponse({ description: 'TOTP is off' })
  @ApiErrors('VALIDATION_FAILED', 'MFA_INVALID', 'FORBIDDEN', 'NOT_FOUND')
  disableTotp(@CurrentSession() auth: AuthPrincipal, @Body() body: TotpCodeDto, @ReqCtx() ctx: RequestContext) {
    return this.mfa.disableTotp(auth, body.code, ctx);
  }

  @Post('email')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.OK)
  @Operation('enableEmailMfa', 'Turn on email codes as a second factor', 'The account email must be verified.')
  @ApiOkResponse({ description: 'Email codes are on as a second factor', type: FactorEnabledResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'EMAIL_NOT_VERIFIED', 'FORBIDDEN')
  async enableEmailMfa(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
  ): Promise<FactorEnabledResponseDto> {
    return { enabled: true, ...(await this.mfa.enableEmail(auth, ctx)) };
  }

  @Delete('email')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'disableEmailMfa',
    'Turn off email codes as a second factor',
    'Email codes stop being offered as a second factor. Needs a recent sign-in.',
  )
  @ApiNoContentResponse({ description: 'Email codes are off' })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN')
  disableEmailMfa(@CurrentSession() auth: AuthPrincipal, @ReqCtx() ctx: RequestContext) {
    return this.mfa.disableEmail(auth, ctx);
  }

  @Post('passkeys/registration/options')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'passkeyRegistrationOptions',
    'WebAuthn creation options (challenge single use, 5 min)',
    "Pass the options to `navigator.credentials.create()` (or @simplewebauthn/browser's startRegistration) and send the result to POST /api/mfa/passkeys/registration/verify with a name. Passkeys the user holds are excluded. Needs a recent sign-in.",
  )
  @ApiOkResponse({ type: WebAuthnOptionsDto, description: 'PublicKeyCredentialCreationOptionsJSON' })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN')
  passkeyRegistrationOptions(@CurrentSession() auth: AuthPrincipal) {
    return this.mfa.passkeyRegistrationOptions(auth);
  }

  @Post('passkeys/registration/verify')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.CREATED)
  @Operation(
    'verifyPasskeyRegistration',
    'Store a new named passkey',
    'VALIDATION_FAILED (field `response`) when the attestation does not verify (origin, RP id, challenge, user presence); CONFLICT when the credential is already registered.',
  )
  @ApiCreatedResponse({ description: 'The passkey is registered', type: PasskeyCreatedDto })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN', 'CONFLICT')
  verifyPasskeyRegistration(
    @CurrentSession() auth: AuthPrincipal,
    @Body() body: RegisterPasskeyDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<PasskeyCreatedDto> {
    return this.mfa.registerPasskey(auth, body.name, body.response, ctx);
  }

  @Get('passkeys')
  @Authenticated()
  @Operation(
    'listPasskeys',
    "The caller's passkeys",
    'Every passkey of the caller with its name, creation and last use.',
  )
  @ApiOkResponse({ description: "The caller's passkeys", type: [PasskeyViewDto] })
  listPasskeys(@CurrentSession() auth: AuthPrincipal): Promise<PasskeyViewDto[]> {
    return this.mfa.listPasskeys(auth);
  }

  @Patch('passkeys/:id')
  @Authenticated()
  @Operation(
    'renamePasskey',
    "Rename one of the caller's passkeys",
    'Only the name changes. A passkey of another user answers 404.',
  )
  @ApiOkResponse({ description: 'The passkey as it is now', type: PasskeyViewDto })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND')
  renamePasskey(
    @CurrentSession() auth: AuthPrincipal,
    @Param('id') id: string,
    @Body() body: PasskeyNameDto,
  ): Promise<PasskeyViewDto> {
    return this.mfa.renamePasskey(auth, id, body.name);
  }

  @Delete('passkeys/:id')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'deletePasskey',
    "Remove one of the caller's passkeys",
    'The passkey stops signing in at once. Needs a recent sign-in; a passkey of another user answers 404.',
  )
  @ApiNoContentResponse({ description: 'The passkey is removed' })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND')
  deletePasskey(@CurrentSession() auth: AuthPrincipal, @Param('id') id: string, @ReqCtx() ctx: RequestContext) {
    return this.mfa.removePasskey(auth, id, ctx);
  }

  @Post('recovery-codes')
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'regenerateRecoveryCodes',
    'New recovery codes; the old ones stop working',
    'NOT_FOUND while no second factor is enabled.',
  )
  @ApiOkResponse({
    description: 'Ten new recovery codes, shown this once; the old ones no longer work',
    type: RecoveryCodesResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND')
  async regenerateRecoveryCodes(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
  ): Promise<RecoveryCodesResponseDto> {
    return { recoveryCodes: await this.mfa.regenerateRecoveryCodes(auth, ctx) };
  }
}
