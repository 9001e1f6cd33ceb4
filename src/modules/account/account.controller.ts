import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AccountService } from './account.service';
import { AccountDto, UpdateProfileDto, UpdateSettingsDto } from './dto/account.dto';

@ApiTags('account')
@Controller('api/account')
export class AccountController {
  constructor(private readonly account: AccountService) {}

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
}
