import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { appConfig } from '../../config';
import { LoginDto } from '../auth/dto/password-auth.dto';
import { VerifyMfaDto } from '../auth/dto/mfa-challenge.dto';
import { SendOtpDto, VerifyOtpDto } from '../auth/dto/otp-login.dto';
import { MfaChallengeService } from '../auth/mfa-challenge.service';
import { OtpLoginService } from '../auth/otp-login.service';
import { PasswordLoginService } from '../auth/password-login.service';
import { answerWith } from '../sessions/session-cookies';
import { flowOf, flowQuery, text, type FormBody } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { PageGate } from './page-gate.service';
import { PageRenderer } from './page-renderer.service';
import { challengeView, clearPendingMfa, finishFirstFactor, pendingMfaOf } from './page-sign-in';

const NOTICES: Record<string, string> = {
  reset: 'signin.resetDone',
  signed_out: 'signin.signedOut',
  account_deleted: 'signin.accountDeleted',
};

/** /signin, /signin/mfa, /signin/code: the API's sign-in flows as forms. */
@Controller()
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class SignInPagesController {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly gate: PageGate,
    private readonly passwordLogin: PasswordLoginService,
    private readonly mfaChallenge: MfaChallengeService,
    private readonly otpLogin: OtpLoginService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get('signin')
  @Public()
  async signInPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    const notice = NOTICES[text(request.query as FormBody, 'notice')];
    return this.renderer.render(request, reply, 'signin', { notice });
  }

  @Post('signin')
  @Public()
  @AuthThrottle()
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    try {
      await this.gate.assertCaptcha(request);
      const input = await this.gate.input(LoginDto, body, ['email', 'password']);
      return this.goOn(request, reply, await this.passwordLogin.login(ctx, input));
    } catch (failure) {
      return this.renderer.render(request, reply, 'signin', { failure, values: { email: text(body, 'email') } });
    }
  }

  @Get('signin/mfa')
  @Public()
  async mfaPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    const pending = pendingMfaOf(request);
    if (!pending) return reply.redirect(`/signin${flowQuery(flowOf(request))}`, 303);
    return this.renderer.render(request, reply, 'signin-mfa', challengeView(pending));
  }

  @Post('signin/mfa')
  @Public()
  @AuthThrottle()
  async verifyMfa(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const pending = pendingMfaOf(request);
    if (!pending) return this.renderer.render(request, reply, 'signin', { status: 401, notice: 'mfa.expired' });
    const body = { ...(request.body as FormBody), mfaToken: pending.mfaToken };
    try {
      const input = await this.gate.input(VerifyMfaDto, body, ['mfaToken', 'method', 'code']);
      answerWith(reply, await this.mfaChallenge.verify(ctx, input));
      clearPendingMfa(reply, { secure: this.app.cookieSecure });
      return reply.redirect(this.renderer.afterSignIn(request), 303);
    } catch (failure) {
      const values = { method: text(body, 'method') };
      return this.renderer.render(request, reply, 'signin-mfa', {
        failure,
        ...challengeView(pending),
        values,
      });
    }
  }

  @Post('signin/mfa/email')
  @Public()
  @AuthThrottle()
  async sendMfaEmail(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const pending = pendingMfaOf(request);
    if (!pending) return this.renderer.render(request, reply, 'signin', { status: 401, notice: 'mfa.expired' });
    const values = { method: 'email' };
    try {
      await this.mfaChallenge.sendEmailCode(ctx, pending.mfaToken);
      return this.renderer.render(request, reply, 'signin-mfa', {
        notice: 'mfa.emailSent',
        ...challengeView(pending),
        values,
      });
    } catch (failure) {
      return this.renderer.render(request, reply, 'signin-mfa', {
        failure,
        ...challengeView(pending),
        values,
      });
    }
  }

  @Get('signin/code')
  @Public()
  async codePage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    return this.renderer.render(request, reply, 'signin-code', { sent: false });
  }

  @Post('signin/code')
  @Public()
  @AuthThrottle()
  async sendCode(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    // A phone, when given, wins: the form offers both, and an empty field is no choice.
    const fields = text(body, 'phone') ? ['phone', 'channel'] : ['email'];
    const values = { phone: text(body, 'phone'), email: text(body, 'phone') ? '' : text(body, 'email') };
    try {
      await this.gate.assertCaptcha(request);
      await this.otpLogin.send(ctx, await this.gate.input(SendOtpDto, body, fields));
      return this.renderer.render(request, reply, 'signin-code', { sent: true, notice: 'code.sent', values });
    } catch (failure) {
      return this.renderer.render(request, reply, 'signin-code', { sent: false, failure, values });
    }
  }

  @Post('signin/code/verify')
  @Public()
  @AuthThrottle()
  async verifyCode(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    const values = { phone: text(body, 'phone'), email: text(body, 'email') };
    try {
      const input = await this.gate.input(VerifyOtpDto, body, ['phone', 'email', 'otp']);
      return this.goOn(request, reply, await this.otpLogin.verify(ctx, input));
    } catch (failure) {
      return this.renderer.render(request, reply, 'signin-code', { sent: true, failure, values });
    }
  }

  private goOn(request: FastifyRequest, reply: FastifyReply, answer: Parameters<typeof finishFirstFactor>[2]) {
    const flow = flowOf(request);
    const next = finishFirstFactor(reply, { secure: this.app.cookieSecure }, answer, {
      signedIn: this.renderer.afterSignIn(request, flow),
      mfa: `/signin/mfa${flowQuery(flow)}`,
    });
    return reply.redirect(next, 303);
  }
}
