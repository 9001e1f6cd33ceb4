import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { Public } from '../../common/auth/public.decorator';
import { RequireRecentAuth } from '../../common/auth/require-recent-auth.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { RequireCaptcha } from '../captcha/require-captcha.decorator';
import { ApiAuthResultOrMfaChallenge } from '../mfa/dto/mfa-challenge.dto';
import { AuthResultDto, SET_SESSION_COOKIES } from '../sessions/dto/auth-result.dto';
import {
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  RegisterDto,
  ResendVerificationDto,
  ResetPasswordDto,
  ResetSentResponseDto,
  VerificationSentResponseDto,
  VerifyEmailDto,
} from './dto/password-auth.dto';
import { answerWith } from '../sessions/session-cookies';
import { EmailVerificationService } from './email-verification.service';
import { PasswordChangeService } from './password-change.service';
import { PasswordLoginService } from './password-login.service';
import { PasswordRecoveryService } from './password-recovery.service';
import { SignUpService } from './sign-up.service';

@Controller('api/auth')
export class PasswordAuthController {
  constructor(
    private readonly signUp: SignUpService,
    private readonly emailVerification: EmailVerificationService,
    private readonly passwordLogin: PasswordLoginService,
    private readonly recovery: PasswordRecoveryService,
    private readonly passwordChange: PasswordChangeService,
  ) {}

  @Post('register')
  @Public()
  @AuthThrottle()
  @RequireCaptcha()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiTags('sign-up')
  @Operation(
    'register',
    'Create an email + password account; a verification code is mailed',
    'The answer is the same whether or not the email already has an account. The account exists once the ' +
      'code is verified. Registering an address again while it waits for its code never changes the password ' +
      'that code activates; a different password discards it, and the account then starts without one.',
  )
  @ApiBody({ type: RegisterDto })
  @ApiAcceptedResponse({
    description:
      'Registration recorded; the code is on its way to the address (the same answer whether or not the address has an account)',
    type: VerificationSentResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'PASSWORD_BREACHED', 'TENANT_UNKNOWN')
  register(@ReqCtx() ctx: RequestContext, @Body() body: RegisterDto) {
    return this.signUp.register(ctx, body);
  }

  @Post('email/resend')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiTags('sign-up')
  @Operation(
    'resendVerification',
    'Mail a new verification code to an unverified account',
    'Always 202, for unknown and already verified emails too.',
  )
  @ApiBody({ type: ResendVerificationDto })
  @ApiAcceptedResponse({
    description: 'A new code is on its way if a registration awaits verification (the same answer otherwise)',
    type: VerificationSentResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  resendVerification(@ReqCtx() ctx: RequestContext, @Body() body: ResendVerificationDto) {
    return this.signUp.resendVerification(ctx, body);
  }

  @Post('email/verify')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiTags('sign-up')
  @Operation(
    'verifyEmail',
    'Verify the email with the mailed code; activates the account and signs in',
    'The code from the registration email activates the account and answers an AuthResult like a sign-in (web clients get the refresh cookie, `"client":"native"` gets `refreshToken` in the body). A wrong, used or expired code answers OTP_INVALID or OTP_EXPIRED; too many wrong codes end the code.',
  )
  @ApiBody({ type: VerifyEmailDto })
  @ApiOkResponse({
    description: 'The account is active and signed in',
    type: AuthResultDto,
    headers: SET_SESSION_COOKIES,
  })
  @ApiErrors('VALIDATION_FAILED', 'OTP_INVALID', 'OTP_EXPIRED', 'TENANT_UNKNOWN')
  async verifyEmail(
    @ReqCtx() ctx: RequestContext,
    @Body() body: VerifyEmailDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return answerWith(reply, await this.emailVerification.verifyEmail(ctx, body));
  }

  @Post('login')
  @Public()
  @AuthThrottle()
  @RequireCaptcha()
  @HttpCode(HttpStatus.OK)
  @ApiTags('sign-in')
  @Operation(
    'login',
    'Sign in with email and password',
    'Answers an AuthResult, or an MFA challenge (`mfaRequired: true`, `mfaToken`, `methods`) when the account has a second factor: finish with POST /api/auth/mfa/verify. Wrong email and wrong password answer the same 401 INVALID_CREDENTIALS in the same time; repeated failures on one account answer 429 TOO_MANY_REQUESTS with Retry-After until the window passes.',
  )
  @ApiBody({ type: LoginDto })
  @ApiAuthResultOrMfaChallenge()
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_CREDENTIALS',
    'EMAIL_NOT_VERIFIED',
    'ACCOUNT_RESTRICTED',
    'ACCOUNT_DELETED',
    'TENANT_UNKNOWN',
  )
  async login(@ReqCtx() ctx: RequestContext, @Body() body: LoginDto, @Res({ passthrough: true }) reply: FastifyReply) {
    return answerWith(reply, await this.passwordLogin.login(ctx, body));
  }

  @Post('password/forgot')
  @Public()
  @AuthThrottle()
  @RequireCaptcha()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiTags('sign-in')
  @Operation('forgotPassword', 'Mail a password reset code', 'Always 202, whether or not the email has an account.')
  @ApiBody({ type: ForgotPasswordDto })
  @ApiAcceptedResponse({
    description: 'A reset code is on its way if the address has an account (the same answer otherwise)',
    type: ResetSentResponseDto,
  })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  forgotPassword(@ReqCtx() ctx: RequestContext, @Body() body: ForgotPasswordDto) {
    return this.recovery.forgotPassword(ctx, body);
  }

  @Post('password/reset')
  @Public()
  @AuthThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiTags('sign-in')
  @Operation(
    'resetPassword',
    'Set a new password with the mailed reset code; every session is revoked',
    'The code from POST /api/auth/password/forgot sets the new password (same policy as sign-up). Every session of the account is revoked, so sign in again afterwards.',
  )
  @ApiBody({ type: ResetPasswordDto })
  @ApiNoContentResponse({ description: 'Password changed; every session of the user revoked' })
  @ApiErrors('VALIDATION_FAILED', 'PASSWORD_BREACHED', 'OTP_INVALID', 'OTP_EXPIRED', 'TENANT_UNKNOWN')
  async resetPassword(@ReqCtx() ctx: RequestContext, @Body() body: ResetPasswordDto): Promise<void> {
    await this.recovery.resetPassword(ctx, body);
  }

  @Post('password/change')
  @Authenticated()
  @RequireRecentAuth()
  @AuthThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiTags('account')
  @Operation(
    'changePassword',
    "Change the caller's password; every other session is revoked",
    'Needs a recent sign-in (REAUTH_WINDOW).',
  )
  @ApiBody({ type: ChangePasswordDto })
  @ApiNoContentResponse({ description: 'Password changed; every other session revoked' })
  @ApiErrors('VALIDATION_FAILED', 'PASSWORD_BREACHED', 'INVALID_CREDENTIALS', 'FORBIDDEN')
  async changePassword(
    @CurrentSession() auth: AuthPrincipal,
    @ReqCtx() ctx: RequestContext,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    await this.passwordChange.changePassword(auth, ctx, body);
  }
}
