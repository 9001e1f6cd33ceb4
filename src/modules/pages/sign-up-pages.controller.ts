import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { ForgotPasswordDto, RegisterDto, ResetPasswordDto, VerifyEmailDto } from '../auth/dto/password-auth.dto';
import { EmailVerificationService } from '../auth/email-verification.service';
import { PasswordRecoveryService } from '../auth/password-recovery.service';
import { SignUpService } from '../auth/sign-up.service';
import { answerWith } from '../sessions/session-cookies';
import { flowOf, flowQuery, text, type FormBody } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { PageGate } from './page-gate.service';
import { PageRenderer } from './page-renderer.service';

/**
 * /signup, /signup/verify, /forgot, /reset. Both requests answer the next form whatever the
 * address (the API's 202 for known and unknown emails alike), so a page tells no more than the API.
 */
@Controller()
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class SignUpPagesController {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly gate: PageGate,
    private readonly signUp: SignUpService,
    private readonly emailVerification: EmailVerificationService,
    private readonly recovery: PasswordRecoveryService,
  ) {}

  @Get('signup')
  @Public()
  async signUpPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    return this.renderer.render(request, reply, 'signup');
  }

  @Post('signup')
  @Public()
  @AuthThrottle()
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    const values = { email: text(body, 'email'), firstName: text(body, 'firstName'), lastName: text(body, 'lastName') };
    try {
      await this.gate.assertCaptcha(request);
      await this.signUp.register(
        ctx,
        await this.gate.input(RegisterDto, body, ['email', 'password', 'firstName', 'lastName']),
      );
      return this.renderer.render(request, reply, 'signup-verify', { values });
    } catch (failure) {
      return this.renderer.render(request, reply, 'signup', { failure, values });
    }
  }

  @Get('signup/verify')
  @Public()
  async verifyPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    return this.renderer.render(request, reply, 'signup-verify');
  }

  @Post('signup/verify')
  @Public()
  @AuthThrottle()
  async verifyEmail(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    try {
      const input = await this.gate.input(VerifyEmailDto, body, ['email', 'otp']);
      answerWith(reply, await this.emailVerification.verifyEmail(ctx, input));
      return reply.redirect(this.renderer.afterSignIn(request), 303);
    } catch (failure) {
      return this.renderer.render(request, reply, 'signup-verify', { failure, values: { email: text(body, 'email') } });
    }
  }

  @Get('forgot')
  @Public()
  async forgotPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    return this.renderer.render(request, reply, 'forgot');
  }

  @Post('forgot')
  @Public()
  @AuthThrottle()
  async forgotPassword(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    const values = { email: text(body, 'email') };
    try {
      await this.gate.assertCaptcha(request);
      await this.recovery.forgotPassword(ctx, await this.gate.input(ForgotPasswordDto, body, ['email']));
      return this.renderer.render(request, reply, 'reset', { values });
    } catch (failure) {
      return this.renderer.render(request, reply, 'forgot', { failure, values });
    }
  }

  @Get('reset')
  @Public()
  async resetPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.gate.enter(request);
    return this.renderer.render(request, reply, 'reset');
  }

  @Post('reset')
  @Public()
  @AuthThrottle()
  async resetPassword(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const ctx = await this.gate.enterForm(request);
    const body = request.body as FormBody;
    try {
      await this.recovery.resetPassword(
        ctx,
        await this.gate.input(ResetPasswordDto, body, ['email', 'otp', 'newPassword']),
      );
      const flow = flowOf(request);
      const query = flowQuery(flow);
      return reply.redirect(`/signin${query}${query ? '&' : '?'}notice=reset`, 303);
    } catch (failure) {
      return this.renderer.render(request, reply, 'reset', { failure, values: { email: text(body, 'email') } });
    }
  }
}
