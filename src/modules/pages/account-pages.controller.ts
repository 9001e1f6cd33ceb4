import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { appConfig } from '../../config';
import { AccountService } from '../account/account.service';
import { UpdateProfileDto } from '../account/dto/account.dto';
import { SessionRevoker } from '../sessions/session-revoker.service';
import { answerWith, clearedSessionCookies } from '../sessions/session-cookies';
import { AccountOverview, PROFILE_FIELDS } from './account-overview.service';
import { flowOf, flowQuery, text, type FormBody } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { PageCallers, redirectWithNotice } from './page-caller.service';
import { PageGate } from './page-gate.service';

/** What a finished form on /account says, by the `notice` the redirect carries. */
const NOTICES: Record<string, string> = {
  profile_saved: 'account.profileSaved',
  email_changed: 'account.emailChanged',
  phone_changed: 'account.phoneChanged',
  reauthenticated: 'account.reauthenticated',
};

/** /account (profile, email, phone, language) and /signout. */
@Controller()
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class AccountPagesController {
  constructor(
    private readonly gate: PageGate,
    private readonly callers: PageCallers,
    private readonly overview: AccountOverview,
    private readonly account: AccountService,
    private readonly revoker: SessionRevoker,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get('account')
  @Public()
  async accountPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account');
    if (!entered) return;
    const { caller } = entered;
    const notice = NOTICES[text(request.query as FormBody, 'notice')];
    return this.overview.show(request, reply, caller, { notice });
  }

  /** PATCH /api/account/profile as a form: every field is sent, and an emptied one clears what was stored. */
  @Post('account/profile')
  @Public()
  async updateProfile(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account', true);
    if (!entered) return;
    const { ctx, caller } = entered;
    const body = request.body as FormBody;
    try {
      const input = await this.gate.input(UpdateProfileDto, body, [...PROFILE_FIELDS], 'null');
      await this.account.updateProfile(caller.auth, input, ctx);
      return redirectWithNotice(request, reply, '/account', 'profile_saved');
    } catch (failure) {
      const values = Object.fromEntries(PROFILE_FIELDS.map((name) => [name, text(body, name)]));
      return this.overview.show(request, reply, caller, { failure, values });
    }
  }

  @Post('signout')
  @Public()
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const caller = await this.callers.of(request);
    if (caller) {
      await this.revoker.revoke({ tenantId: caller.auth.tenantId, id: caller.auth.sessionId }, 'logout', ctx);
    }
    answerWith(reply, { body: undefined, cookies: clearedSessionCookies({ secure: this.app.cookieSecure }) });
    const query = flowQuery({ ...flowOf(request), returnTo: undefined });
    return reply.redirect(`/signin${query}${query ? '&' : '?'}notice=signed_out`, 303);
  }
}
