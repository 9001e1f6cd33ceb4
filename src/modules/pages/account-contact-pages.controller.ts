import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { AppException } from '../../common/errors/app-exception';
import { appConfig } from '../../config';
import { AccountExportService } from '../account/account-export.service';
import { AccountDeletionService } from '../account/deletion/account-deletion.service';
import { answerWith, clearedSessionCookies } from '../sessions/session-cookies';
import { ChangeEmailDto, ChangePhoneDto, VerifyEmailChangeDto, VerifyPhoneChangeDto } from '../account/dto/account.dto';
import { EmailChangeService } from '../account/email-change.service';
import { PhoneChangeService } from '../account/phone-change.service';
import { ReauthenticateDto } from '../auth/dto/reauthenticate.dto';
import { ReauthenticationService } from '../auth/reauthentication.service';
import { AccountOverview, type PendingChange, type StepUpIntent } from './account-overview.service';
import { flowOf, flowQuery, text, type FormBody } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { isReauthRequired, PageCallers, redirectWithNotice, type EnteredPage } from './page-caller.service';
import { PageGate } from './page-gate.service';

const INTENTS: readonly StepUpIntent[] = ['email', 'phone', 'export', 'delete', 'security'];

type ContactKind = PendingChange['kind'];

const CODE_SENT: Record<ContactKind, string> = { email: 'account.emailCodeSent', phone: 'account.phoneCodeSent' };

/**
 * /account's step-up actions (email and phone change requests, the data export) and their
 * verify forms. A stale sign-in gets the API's REAUTH_REQUIRED as a password form that carries
 * the action and continues it once the password is right (POST /api/auth/reauthenticate's service).
 */
@Controller('account')
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class AccountContactPagesController {
  constructor(
    private readonly gate: PageGate,
    private readonly callers: PageCallers,
    private readonly overview: AccountOverview,
    private readonly emailChange: EmailChangeService,
    private readonly phoneChange: PhoneChangeService,
    private readonly exports: AccountExportService,
    private readonly reauthentication: ReauthenticationService,
    private readonly deletion: AccountDeletionService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Post('email')
  @Public()
  @AuthThrottle()
  async requestEmailChange(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    return entered && this.requestChange(request, reply, entered, 'email', true);
  }

  @Post('phone')
  @Public()
  @AuthThrottle()
  async requestPhoneChange(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    return entered && this.requestChange(request, reply, entered, 'phone', true);
  }

  @Post('email/verify')
  @Public()
  @AuthThrottle()
  async verifyEmailChange(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    return entered && this.verifyChange(request, reply, entered, 'email');
  }

  @Post('phone/verify')
  @Public()
  @AuthThrottle()
  async verifyPhoneChange(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    return entered && this.verifyChange(request, reply, entered, 'phone');
  }

  /** GET /api/account/export as a download (step-up). */
  @Get('export')
  @Public()
  async exportAccount(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account');
    if (!entered) return;
    const { ctx, caller } = entered;
    try {
      this.callers.assertRecent(caller);
    } catch (failure) {
      if (!isReauthRequired(failure)) throw failure;
      return this.overview.askPassword(request, reply, caller, 'export', failure);
    }
    const document = await this.exports.export(caller.auth, ctx);
    return reply
      .header('content-disposition', 'attachment; filename="account-export.json"')
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(document, null, 2));
  }

  /** DELETE /api/account (step-up), confirmed by its checkbox; then signed out, on the sign-in page. */
  @Post('delete')
  @Public()
  @AuthThrottle()
  async requestDeletion(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    if (!entered) return;
    if (text(request.body as FormBody, 'confirm') !== 'yes') {
      const failure = new AppException('VALIDATION_FAILED', [{ field: 'confirm', message: 'must be checked' }]);
      return this.overview.show(request, reply, entered.caller, { failure });
    }
    try {
      this.callers.assertRecent(entered.caller);
    } catch (failure) {
      if (!isReauthRequired(failure)) throw failure;
      return this.overview.askPassword(request, reply, entered.caller, 'delete', failure, { confirm: 'yes' });
    }
    return this.deleteAccount(request, reply, entered);
  }

  /** The password of a step-up, then the action it was asked for. */
  @Post('reauthenticate')
  @Public()
  @AuthThrottle()
  async reauthenticate(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    if (!entered) return;
    const { ctx, caller } = entered;
    const body = request.body as FormBody;
    const intent = INTENTS.find((candidate) => candidate === text(body, 'intent'));
    try {
      const input = await this.gate.input(ReauthenticateDto, body, ['password', 'method', 'code']);
      await this.reauthentication.reauthenticate(caller.auth, ctx, input);
    } catch (failure) {
      if (!intent) return this.overview.show(request, reply, caller, { failure });
      return this.overview.askPassword(request, reply, caller, intent, failure, intentValues(body));
    }
    switch (intent) {
      case 'email':
      case 'phone':
        return this.requestChange(request, reply, entered, intent, false);
      case 'export':
        return reply.redirect(`/account/export${flowQuery({ ...flowOf(request), returnTo: undefined })}`, 303);
      case 'delete':
        return this.deleteAccount(request, reply, entered);
      case 'security':
        // The security page's forms are many; the user sends the one they meant again.
        return redirectWithNotice(request, reply, '/account/security', 'reauthenticated');
      case undefined:
        return redirectWithNotice(request, reply, '/account', 'reauthenticated');
    }
  }

  private async deleteAccount(request: FastifyRequest, reply: FastifyReply, { ctx, caller }: EnteredPage) {
    await this.deletion.delete(caller.auth, ctx);
    answerWith(reply, { body: undefined, cookies: clearedSessionCookies({ secure: this.app.cookieSecure }) });
    const query = flowQuery({ ...flowOf(request), returnTo: undefined });
    return reply.redirect(`/signin${query}${query ? '&' : '?'}notice=account_deleted`, 303);
  }

  /**
   * POST /api/account/email or /phone: the fields are checked first (a typo is shown on /account,
   * not after a password), then the step-up unless the password was just given, then the code is sent.
   */
  private async requestChange(
    request: FastifyRequest,
    reply: FastifyReply,
    { ctx, caller }: EnteredPage,
    kind: ContactKind,
    checkRecent: boolean,
  ) {
    const body = request.body as FormBody;
    try {
      let target: string;
      if (kind === 'email') {
        const input = await this.gate.input(ChangeEmailDto, body, ['newEmail']);
        if (checkRecent) this.callers.assertRecent(caller);
        await this.emailChange.request(caller.auth, input, ctx);
        target = input.newEmail;
      } else {
        const input = await this.gate.input(ChangePhoneDto, body, ['phone', 'channel']);
        if (checkRecent) this.callers.assertRecent(caller);
        await this.phoneChange.request(caller.auth, input, ctx);
        target = input.phone;
      }
      return this.overview.show(request, reply, caller, { notice: CODE_SENT[kind], pending: { kind, target } });
    } catch (failure) {
      const values = intentValues(body);
      if (isReauthRequired(failure)) return this.overview.askPassword(request, reply, caller, kind, failure, values);
      return this.overview.show(request, reply, caller, { failure, values });
    }
  }

  /** POST /api/account/email/verify or /phone/verify; a wrong code keeps the verify form. */
  private async verifyChange(
    request: FastifyRequest,
    reply: FastifyReply,
    { ctx, caller }: EnteredPage,
    kind: ContactKind,
  ) {
    const body = request.body as FormBody;
    try {
      if (kind === 'email') {
        const input = await this.gate.input(VerifyEmailChangeDto, body, ['newEmail', 'otp']);
        await this.emailChange.verify(caller.auth, input, ctx);
      } else {
        const input = await this.gate.input(VerifyPhoneChangeDto, body, ['phone', 'otp']);
        await this.phoneChange.verify(caller.auth, input, ctx);
      }
      return redirectWithNotice(request, reply, '/account', `${kind}_changed`);
    } catch (failure) {
      const pending = { kind, target: text(body, kind === 'email' ? 'newEmail' : 'phone') };
      return this.overview.show(request, reply, caller, { failure, pending });
    }
  }
}

/** The fields of a pending step-up action, kept through the password form. */
function intentValues(body: FormBody): Record<string, string> {
  return {
    newEmail: text(body, 'newEmail'),
    phone: text(body, 'phone'),
    channel: text(body, 'channel'),
    confirm: text(body, 'confirm'),
  };
}
