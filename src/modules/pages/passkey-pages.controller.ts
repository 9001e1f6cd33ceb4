import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app-exception';
import { AuthThrottle } from '../../common/throttling/throttle.decorators';
import { appConfig } from '../../config';
import { MfaChallengeService } from '../auth/mfa-challenge.service';
import { PasskeyLoginService } from '../auth/passkey-login.service';
import { PasskeyNameDto } from '../mfa/dto/passkey.dto';
import { MfaService } from '../mfa/mfa.service';
import { answerWith } from '../sessions/session-cookies';
import type { FormBody } from './page-context';
import { PageCallers } from './page-caller.service';
import { PageGate } from './page-gate.service';
import { PageRenderer } from './page-renderer.service';
import { clearPendingMfa, pendingMfaOf } from './page-sign-in';

/**
 * The JSON requests of the passkey buttons (assets/passkeys.js): WebAuthn options, then the
 * browser's answer, for a passwordless sign-in on /signin, the second factor on /signin/mfa and a
 * new passkey on /account/security. Each carries the page's CSRF token (`_csrf`) like a form and
 * calls the service of the matching API route; success answers `{next}`, the page to go to.
 */
@Controller()
@ApiExcludeController()
export class PasskeyPagesController {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly gate: PageGate,
    private readonly callers: PageCallers,
    private readonly passkeyLogin: PasskeyLoginService,
    private readonly mfaChallenge: MfaChallengeService,
    private readonly mfa: MfaService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /** POST /api/auth/passkey/options: a discoverable-credential challenge. */
  @Post('signin/passkey/options')
  @Public()
  @AuthThrottle()
  @HttpCode(200)
  signInOptions(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.json(request, reply, async () => {
      const ctx = await this.gate.enterForm(request);
      return this.passkeyLogin.options(ctx, undefined);
    });
  }

  /** POST /api/auth/passkey/verify with the web cookies. */
  @Post('signin/passkey/verify')
  @Public()
  @AuthThrottle()
  @HttpCode(200)
  signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.json(request, reply, async () => {
      const ctx = await this.gate.enterForm(request);
      const response = webauthnResponse<AuthenticationResponseJSON>(request);
      answerWith(reply, await this.passkeyLogin.verify(ctx, { response, client: 'web' }));
      return { next: this.renderer.afterSignIn(request) };
    });
  }

  /** POST /api/auth/mfa/passkey/options for the pending sign-in of /signin/mfa (its cookie). */
  @Post('signin/mfa/passkey/options')
  @Public()
  @AuthThrottle()
  @HttpCode(200)
  mfaOptions(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.json(request, reply, async () => {
      const ctx = await this.gate.enterForm(request);
      return this.mfaChallenge.passkeyOptions(ctx, this.pendingTokenOf(request));
    });
  }

  /** POST /api/auth/mfa/verify with `method: "passkey"`. */
  @Post('signin/mfa/passkey/verify')
  @Public()
  @AuthThrottle()
  @HttpCode(200)
  mfaVerify(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.json(request, reply, async () => {
      const ctx = await this.gate.enterForm(request);
      const mfaToken = this.pendingTokenOf(request);
      const response = webauthnResponse<AuthenticationResponseJSON>(request);
      answerWith(reply, await this.mfaChallenge.verify(ctx, { mfaToken, method: 'passkey', response }));
      clearPendingMfa(reply, { secure: this.app.cookieSecure });
      return { next: this.renderer.afterSignIn(request) };
    });
  }

  /** POST /api/mfa/passkeys/registration/options (step-up). */
  @Post('account/security/passkeys/options')
  @Public()
  @HttpCode(200)
  registrationOptions(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.json(request, reply, async () => {
      await this.gate.enterForm(request);
      const caller = await this.signedIn(request);
      this.callers.assertRecent(caller);
      return this.mfa.passkeyRegistrationOptions(caller.auth);
    });
  }

  /** POST /api/mfa/passkeys/registration/verify (step-up). */
  @Post('account/security/passkeys/verify')
  @Public()
  @HttpCode(200)
  register(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.json(request, reply, async () => {
      const ctx = await this.gate.enterForm(request);
      const caller = await this.signedIn(request);
      this.callers.assertRecent(caller);
      const { name } = await this.gate.input(PasskeyNameDto, request.body as FormBody, ['name']);
      const response = webauthnResponse<RegistrationResponseJSON>(request);
      const { recoveryCodes } = await this.mfa.registerPasskey(caller.auth, name, response, ctx);
      // The first factor's recovery codes are shown on the page, like TOTP's (never put in a URL).
      return recoveryCodes ? { recoveryCodes } : {};
    });
  }

  private async json(request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) {
    try {
      return reply.send(await work());
    } catch (failure) {
      return this.renderer.failJson(request, reply, failure);
    }
  }

  private async signedIn(request: FastifyRequest) {
    const caller = await this.callers.of(request);
    if (!caller) throw new AppException('UNAUTHORIZED');
    return caller;
  }

  private pendingTokenOf(request: FastifyRequest): string {
    const pending = pendingMfaOf(request);
    if (!pending) throw new AppException('UNAUTHORIZED');
    return pending.mfaToken;
  }
}

/** The browser's WebAuthn answer: an object; the services check everything else in it. */
function webauthnResponse<T>(request: FastifyRequest): T {
  const response = (request.body as Record<string, unknown> | undefined)?.response;
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw new AppException('VALIDATION_FAILED', [{ field: 'response', message: 'must be an object' }]);
  }
  return response as T;
}
