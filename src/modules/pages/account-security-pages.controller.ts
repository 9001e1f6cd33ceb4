import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { ChangePasswordDto } from '../auth/dto/password-auth.dto';
import { PasswordChangeService } from '../auth/password-change.service';
import { PasskeyNameDto } from '../mfa/dto/passkey.dto';
import { TotpCodeDto } from '../mfa/dto/totp.dto';
import { MfaService } from '../mfa/mfa.service';
import { AccountOverview } from './account-overview.service';
import { formatTime } from './account-sessions-pages.controller';
import { text, type FormBody } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import {
  isReauthRequired,
  PageCallers,
  redirectWithNotice,
  type EnteredPage,
  type PageCaller,
} from './page-caller.service';
import { PageGate } from './page-gate.service';
import { PageRenderer, type RenderOptions } from './page-renderer.service';

const NOTICES = {
  password_changed: 'security.passwordChanged',
  totp_disabled: 'security.totpDisabled',
  email_enabled: 'security.emailEnabled',
  email_disabled: 'security.emailDisabled',
  passkey_added: 'security.passkeyAdded',
  passkey_renamed: 'security.passkeyRenamed',
  passkey_removed: 'security.passkeyRemoved',
  reauthenticated: 'account.reauthenticated',
} satisfies Record<string, string>;

type Notice = keyof typeof NOTICES;

/** What one form of the page shows afterwards, when it is more than a notice. */
interface SecurityShown extends RenderOptions {
  /** A TOTP enrolment under way: the QR code (a data: URL) and the secret to type by hand. */
  totpSetup?: { qrCode: string; secret: string };
  /** Recovery codes, shown this once. */
  recoveryCodes?: string[];
}

/**
 * /account/security: password, authenticator app (TOTP with its QR code), email codes, passkeys
 * and recovery codes, over the services of the API's MFA and password routes. Every change needs a
 * recent sign-in as on the API; a stale one is asked for the password first.
 */
@Controller('account/security')
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class AccountSecurityPagesController {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly gate: PageGate,
    private readonly callers: PageCallers,
    private readonly overview: AccountOverview,
    private readonly mfa: MfaService,
    private readonly passwords: PasswordChangeService,
  ) {}

  @Get()
  @Public()
  async securityPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account/security');
    if (!entered) return;
    const notice = text(request.query as FormBody, 'notice');
    return this.show(request, reply, entered.caller, {
      notice: Object.hasOwn(NOTICES, notice) ? NOTICES[notice as Notice] : undefined,
    });
  }

  /** POST /api/auth/password/change: every other session ends. */
  @Post('password')
  @Public()
  @AuthThrottle()
  async changePassword(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ ctx, caller }) => {
      const input = await this.gate.input(ChangePasswordDto, request.body as FormBody, [
        'currentPassword',
        'newPassword',
      ]);
      await this.passwords.changePassword(caller.auth, ctx, input);
      return 'password_changed';
    });
  }

  /** POST /api/mfa/totp/setup: the page shows the QR code and asks for the first code. */
  @Post('totp/setup')
  @Public()
  async setupTotp(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ caller }) => {
      const setup = await this.mfa.setupTotp(caller.auth);
      return { totpSetup: { qrCode: setup.qrCode, secret: setup.secret } };
    });
  }

  /** POST /api/mfa/totp/confirm: on; the first factor brings recovery codes, shown this once. */
  @Post('totp/confirm')
  @Public()
  @AuthThrottle()
  async confirmTotp(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ ctx, caller }) => {
      const { code } = await this.gate.input(TotpCodeDto, request.body as FormBody, ['code']);
      const { recoveryCodes } = await this.mfa.confirmTotp(caller.auth, code, ctx);
      return { notice: 'security.totpEnabled', recoveryCodes };
    });
  }

  /** DELETE /api/mfa/totp with a current code. */
  @Post('totp/disable')
  @Public()
  @AuthThrottle()
  async disableTotp(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ ctx, caller }) => {
      const { code } = await this.gate.input(TotpCodeDto, request.body as FormBody, ['code']);
      await this.mfa.disableTotp(caller.auth, code, ctx);
      return 'totp_disabled';
    });
  }

  @Post('email/enable')
  @Public()
  async enableEmail(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ ctx, caller }) => {
      const { recoveryCodes } = await this.mfa.enableEmail(caller.auth, ctx);
      return recoveryCodes ? { notice: NOTICES.email_enabled, recoveryCodes } : 'email_enabled';
    });
  }

  @Post('email/disable')
  @Public()
  async disableEmail(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ ctx, caller }) => {
      await this.mfa.disableEmail(caller.auth, ctx);
      return 'email_disabled';
    });
  }

  /** PATCH /api/mfa/passkeys/:id (a rename needs no recent sign-in on the API either). */
  @Post('passkeys/:id/rename')
  @Public()
  async renamePasskey(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string) {
    return this.change(
      request,
      reply,
      async ({ caller }) => {
        const { name } = await this.gate.input(PasskeyNameDto, request.body as FormBody, ['name']);
        await this.mfa.renamePasskey(caller.auth, id, name);
        return 'passkey_renamed';
      },
      { recent: false },
    );
  }

  @Post('passkeys/:id/remove')
  @Public()
  async removePasskey(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string) {
    return this.change(request, reply, async ({ ctx, caller }) => {
      await this.mfa.removePasskey(caller.auth, id, ctx);
      return 'passkey_removed';
    });
  }

  /** POST /api/mfa/recovery-codes: a new set replaces the old one; shown this once. */
  @Post('recovery-codes')
  @Public()
  async regenerateRecoveryCodes(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, async ({ ctx, caller }) => ({
      notice: 'security.recoveryCodesNew',
      recoveryCodes: await this.mfa.regenerateRecoveryCodes(caller.auth, ctx),
    }));
  }

  /**
   * One form of the page: CSRF and the caller, the API's step-up (the password form when the
   * sign-in is old), the change, then either back to the page with a notice or the page with what
   * the change has to show (a QR code, recovery codes); a refusal is shown on the page.
   */
  private async change(
    request: FastifyRequest,
    reply: FastifyReply,
    apply: (entered: EnteredPage) => Promise<Notice | SecurityShown>,
    { recent = true } = {},
  ) {
    const entered = await this.callers.enter(request, reply, '/account/security', true);
    if (!entered) return;
    try {
      if (recent) this.callers.assertRecent(entered.caller);
      const outcome = await apply(entered);
      if (typeof outcome === 'string') return redirectWithNotice(request, reply, '/account/security', outcome);
      return this.show(request, reply, entered.caller, outcome);
    } catch (failure) {
      if (isReauthRequired(failure)) {
        return this.overview.askPassword(request, reply, entered.caller, 'security', failure);
      }
      return this.show(request, reply, entered.caller, { failure });
    }
  }

  private async show(request: FastifyRequest, reply: FastifyReply, caller: PageCaller, options: SecurityShown) {
    const [factors, userLocale] = await Promise.all([this.mfa.status(caller.auth), this.callers.localeOf(caller)]);
    return this.renderer.render(request, reply, 'account-security', {
      ...options,
      factors,
      formatTime,
      userLocale,
      // The QR code is a data: URL; no other page lets one in.
      imageSources: options.totpSetup ? ['data:'] : [],
    });
  }
}
