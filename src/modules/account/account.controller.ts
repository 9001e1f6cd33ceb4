import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireRecentAuth } from '../../common/auth/require-recent-auth.decorator';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { OtpSentResponseDto } from '../auth/dto/otp-login.dto';
import { EmailChangeService } from './email-change.service';
import { PhoneChangeService } from './phone-change.service';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AccountExportService } from './account-export.service';
import { AccountService } from './account.service';
import { AccountDeletionService } from './deletion/account-deletion.service';
import {
  AccountDto,
  AccountExportDto,
  ChangeEmailDto,
  ChangePhoneDto,
  ChangeRequestedDto,
  DeletionScheduledDto,
  UpdateProfileDto,
  UpdateSettingsDto,
  VerifyEmailChangeDto,
  VerifyPhoneChangeDto,
} from './dto/account.dto';

@ApiTags('account')
@Controller('api/account')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly emailChange: EmailChangeService,
    private readonly phoneChange: PhoneChangeService,
    private readonly exports: AccountExportService,
    private readonly deletion: AccountDeletionService,
  ) {}

  @Get('export')
  @Authenticated()
  @RequireRecentAuth()
  @Header('Content-Disposition', 'attachment; filename="account-export.json"')
  @Operation(
    'exportAccount',
    'Download everything held about the caller',
    'Needs a recent sign-in. One JSON document: the account, devices, live sessions, second factors (no ' +
      'secrets), the security history and the messages sent (no codes, no content). Audited as `account.exported`.',
  )
  @ApiOkResponse({ description: 'The export, as an attachment', type: AccountExportDto })
  @ApiErrors('FORBIDDEN')
  exportAccount(@CurrentSession() auth: AuthPrincipal, @ReqCtx() ctx: RequestContext): Promise<AccountExportDto> {
    return this.exports.export(auth, ctx);
  }

  @Delete()
  @Authenticated()
  @RequireRecentAuth()
  @HttpCode(HttpStatus.ACCEPTED)
  @Operation(
    'deleteAccount',
    'Delete the account',
    'Needs a recent sign-in. At once: every session of the account ends and sign-in answers 403 ACCOUNT_DELETED ' +
      '(to the right password; a wrong one stays 401 INVALID_CREDENTIALS; code and passkey sign-in treat the ' +
      'account as unknown). At `purgeAt` (ACCOUNT_DELETION_GRACE_DAYS later) the worker erases email, phone, ' +
      'names, devices, sessions, factors and delivery records; the user id and the audit events stay. Audited as ' +
      '`account.deletion_scheduled`, then `account.purged`.',
  )
  @ApiAcceptedResponse({ description: 'Deleted; the purge is scheduled', type: DeletionScheduledDto })
  @ApiErrors('FORBIDDEN')
  deleteAccount(@CurrentSession() auth: AuthPrincipal, @ReqCtx() ctx: RequestContext): Promise<DeletionScheduledDto> {
    return this.deletion.delete(auth, ctx);
  }

  @Get()
  @Authenticated()
  @Operation(
    'getAccount',
    "The caller's account: contact points, profile and settings",
    'Settings the user never chose come with their defaults: theme `auto`, notices by email on, by SMS off, ' +
      'profile not public.',
  )
  @ApiOkResponse({ description: 'The account', type: AccountDto })
  getAccount(@CurrentSession() auth: AuthPrincipal): Promise<AccountDto> {
    return this.account.get(auth);
  }

  @Patch('profile')
  @Authenticated()
  @Operation(
    'updateProfile',
    'Change the profile: names, photo, country, language',
    'Each field given is set and `null` (or an empty string) clears it; absent fields stay. `photoUrl` must be ' +
      'https, `country` an assigned ISO 3166-1 alpha-2 code, `locale` a BCP 47 tag (stored in its canonical ' +
      'spelling; it chooses the language of pages, emails and texts). Audited as `user.updated`.',
  )
  @ApiOkResponse({ description: 'The account as it is now', type: AccountDto })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN')
  updateProfile(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: UpdateProfileDto,
  ): Promise<AccountDto> {
    return this.account.updateProfile(auth, body, ctx);
  }

  @Patch('settings')
  @Authenticated()
  @Operation(
    'updateSettings',
    'Change the account settings: theme, notifications, privacy',
    'Partial: `theme` is replaced, `notifications` and `privacy` are merged key by key into what is stored. ' +
      'Audited as `user.updated`.',
  )
  @ApiOkResponse({ description: 'The account as it is now', type: AccountDto })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN')
  updateSettings(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: UpdateSettingsDto,
  ): Promise<AccountDto> {
    return this.account.updateSettings(auth, body, ctx);
  }

  @Post('email')
  @Authenticated()
  @RequireRecentAuth()
  @AuthThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @Operation(
    'requestEmailChange',
    'Change the account email: send a code to the new address',
    'Needs a recent sign-in. The answer is the same whoever holds the address; the code (valid OTP_TTL seconds, ' +
      'resend cooldown as for every code) only works for this account, at POST /api/account/email/verify.',
  )
  @ApiAcceptedResponse({ description: 'A code is on its way to the new address', type: ChangeRequestedDto })
  @ApiErrors('VALIDATION_FAILED', 'OTP_RESEND_COOLDOWN', 'DESTINATION_UNDELIVERABLE', 'FORBIDDEN')
  requestEmailChange(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: ChangeEmailDto,
  ): Promise<ChangeRequestedDto> {
    return this.emailChange.request(auth, body, ctx);
  }

  @Post('email/verify')
  @Authenticated()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'verifyEmailChange',
    'Make the new address the account email with its code',
    'The address becomes the account email, verified; the old address gets a security notice. 409 CONFLICT when ' +
      'another account took the address meanwhile.',
  )
  @ApiOkResponse({ description: 'The account with its new email', type: AccountDto })
  @ApiErrors('VALIDATION_FAILED', 'OTP_INVALID', 'OTP_EXPIRED', 'CONFLICT', 'FORBIDDEN')
  async verifyEmailChange(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: VerifyEmailChangeDto,
  ): Promise<AccountDto> {
    return this.account.toAccount(await this.emailChange.verify(auth, body, ctx));
  }

  @Post('phone')
  @Authenticated()
  @RequireRecentAuth()
  @AuthThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @Operation(
    'requestPhoneChange',
    'Add or change the phone number: send a code to it',
    'Needs a recent sign-in. By WhatsApp or SMS (`channel`, default OTP_DEFAULT_CHANNEL), under the same rules as ' +
      "send-otp: mobile numbers only, the tenant's `smsCountries`, the SMS budgets. The code only works for this " +
      'account, at POST /api/account/phone/verify.',
  )
  @ApiAcceptedResponse({ description: 'The code is on its way', type: OtpSentResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'OTP_RESEND_COOLDOWN', 'DESTINATION_UNDELIVERABLE', 'FORBIDDEN')
  requestPhoneChange(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: ChangePhoneDto,
  ): Promise<OtpSentResponseDto> {
    return this.phoneChange.request(auth, body, ctx);
  }

  @Post('phone/verify')
  @Authenticated()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @Operation(
    'verifyPhoneChange',
    'Set the phone number with its code',
    'The number becomes the account phone, verified. 409 CONFLICT when another account holds it.',
  )
  @ApiOkResponse({ description: 'The account with its phone', type: AccountDto })
  @ApiErrors('VALIDATION_FAILED', 'OTP_INVALID', 'OTP_EXPIRED', 'CONFLICT', 'FORBIDDEN')
  async verifyPhoneChange(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: VerifyPhoneChangeDto,
  ): Promise<AccountDto> {
    return this.account.toAccount(await this.phoneChange.verify(auth, body, ctx));
  }
}
