import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { Public } from '../../../common/auth/public.decorator';
import { AppException } from '../../../common/errors/app-exception';
import { AuthThrottle } from '../../../common/throttling/throttle.decorators';
import { ReauthenticateDto } from '../../auth/dto/reauthenticate.dto';
import { ReauthenticationService } from '../../auth/reauthentication.service';
import { MfaService } from '../../mfa/mfa.service';
import { text, type FormBody } from '../../pages/page-context';
import { PageCallers, type PageCaller } from '../../pages/page-caller.service';
import { PageExceptionFilter } from '../../pages/page-exception.filter';
import { PageGate } from '../../pages/page-gate.service';
import { PageRenderer } from '../../pages/page-renderer.service';
import { UsersService } from '../../users/users.service';
import { OidcClients } from '../clients/oidc-clients.service';
import { acrOf } from '../provider/oidc-claims';
import { OidcGrants, type PagesResult } from '../provider/oidc-grants.service';
import { OidcProviders } from '../provider/oidc-provider.registry';
import { OidcInteractions, SIGNED_IN_HERE, type Interaction, type Requirement } from './oidc-interactions.service';

/** Second factors a page can take as a typed code (passkeys need the browser API; not on this page yet). */
const CODE_FACTORS = ['totp', 'recovery_code'] as const;

/**
 * The OIDC provider's interactions, on the hosted pages: the sign-in itself happens on /signin
 * (and /signin/mfa) with the tenant's policy, and comes back here; this page then asks only what
 * the client's request adds (a fresh proof for prompt=login or max_age, a second factor for
 * acr_values=aal2, consent for a third-party client) and hands the provider its answer.
 */
@Controller('oidc/:tenant/interaction/:uid')
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class OidcInteractionController {
  constructor(
    private readonly gate: PageGate,
    private readonly callers: PageCallers,
    private readonly renderer: PageRenderer,
    private readonly interactions: OidcInteractions,
    private readonly providers: OidcProviders,
    private readonly grants: OidcGrants,
    private readonly clients: OidcClients,
    private readonly users: UsersService,
    private readonly mfa: MfaService,
    private readonly reauthentication: ReauthenticationService,
  ) {}

  @Get()
  @Public()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant: string) {
    await this.gate.enter(request);
    const interaction = await this.interactions.load(request, reply, tenant);
    const caller = await this.callers.of(request);
    if (!caller || caller.auth.tenantId !== tenant) {
      await this.interactions.markProof(interaction, SIGNED_IN_HERE);
      return this.callers.toSignIn(request, reply, interaction.path);
    }
    return this.proceed(request, reply, interaction, caller);
  }

  @Post('reauthenticate')
  @Public()
  @AuthThrottle()
  async reauthenticate(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant: string) {
    const ctx = await this.gate.enterForm(request);
    const interaction = await this.interactions.load(request, reply, tenant);
    const caller = await this.callers.of(request);
    if (!caller || caller.auth.tenantId !== tenant) return this.callers.toSignIn(request, reply, interaction.path);
    const body = request.body as FormBody;
    const fields = text(body, 'password') ? ['password'] : ['method', 'code'];
    try {
      const input = await this.gate.input(ReauthenticateDto, body, fields);
      await this.reauthentication.reauthenticate(caller.auth, ctx, input);
      await this.interactions.markProof(interaction, caller.auth.sessionId);
    } catch (failure) {
      const requirement = await this.interactions.requirementOf(interaction, caller);
      return this.askProof(request, reply, interaction, caller, requirement ?? 'fresh', failure);
    }
    return reply.redirect(interaction.pathWithFlow(request), 303);
  }

  @Post('consent')
  @Public()
  async consent(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant: string) {
    const ctx = await this.gate.enterForm(request);
    const interaction = await this.interactions.load(request, reply, tenant);
    const caller = await this.callers.of(request);
    if (!caller || caller.auth.tenantId !== tenant) return this.callers.toSignIn(request, reply, interaction.path);
    if (interaction.details.prompt.name !== 'consent') return reply.redirect(interaction.pathWithFlow(request), 303);
    if (text(request.body as FormBody, 'decision') !== 'allow') {
      return this.finish(request, reply, interaction, {
        error: 'access_denied',
        error_description: 'the user did not allow the client',
      });
    }
    const grantRequest = this.interactions.grantRequestOf(interaction, caller);
    await this.grants.rememberConsent(
      {
        tenantId: tenant,
        userId: caller.auth.userId,
        clientId: grantRequest.clientId,
        scopes: grantRequest.scopes,
        sessionId: caller.auth.sessionId,
      },
      ctx,
    );
    return this.grantAndFinish(request, reply, interaction, caller);
  }

  /** What the provider asked for, once the browser is signed in to this tenant. */
  private async proceed(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, caller: PageCaller) {
    const { details } = interaction;
    if (details.prompt.name === 'login') {
      const requirement = await this.interactions.requirementOf(interaction, caller);
      if (requirement) return this.askProof(request, reply, interaction, caller, requirement);
      return this.finish(request, reply, interaction, {
        login: {
          accountId: caller.auth.userId,
          acr: acrOf(caller.auth),
          amr: caller.auth.amr,
          ts: caller.auth.authTime,
          remember: false,
        },
      });
    }
    if (details.prompt.name === 'consent') {
      // The provider's session names who signed in; a browser now signed in as someone else starts over.
      if (details.session?.accountId !== caller.auth.userId) {
        return this.finish(request, reply, interaction, {
          error: 'login_required',
          error_description: 'the signed-in user changed during the authorization',
        });
      }
      const grantRequest = this.interactions.grantRequestOf(interaction, caller);
      if (await this.grants.mayGrantWithoutAsking(interaction.tenantId, grantRequest)) {
        return this.grantAndFinish(request, reply, interaction, caller);
      }
      const client = await this.clients.find(interaction.tenantId, grantRequest.clientId);
      return this.renderer.render(request, reply, 'oidc-consent', {
        action: interaction.actionPath('consent'),
        clientName: client?.name ?? grantRequest.clientId,
        scopes: grantRequest.scopes.filter((scope) => scope !== 'openid'),
        formActionOrigins: interaction.clientOrigins,
      });
    }
    throw new AppException('NOT_FOUND');
  }

  /** The password (or a code) again, or a second factor: the request asked for more than this sign-in proved. */
  private async askProof(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: Interaction,
    caller: PageCaller,
    requirement: Requirement,
    failure?: unknown,
  ) {
    const user = await this.users.findById(caller.auth.tenantId, caller.auth.userId);
    if (!user) return this.callers.toSignIn(request, reply, interaction.path);
    const methods = await this.mfa.methodsFor(user);
    const codeMethods = CODE_FACTORS.filter((method) => methods.includes(method));
    const offerPassword = requirement === 'fresh' && user.passwordHash !== null;
    if (!offerPassword && codeMethods.length === 0) {
      return this.finish(request, reply, interaction, {
        error: requirement === 'second_factor' ? 'unmet_authentication_requirements' : 'login_required',
        error_description:
          requirement === 'second_factor'
            ? 'a second factor was required and the account has none'
            : 'the account cannot sign in again here',
      });
    }
    return this.renderer.render(request, reply, 'oidc-reauth', {
      failure,
      requirement,
      offerPassword,
      codeMethods,
      action: interaction.actionPath('reauthenticate'),
      formActionOrigins: interaction.clientOrigins,
    });
  }

  private async grantAndFinish(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: Interaction,
    caller: PageCaller,
  ) {
    const provider = await this.providers.providerFor(interaction.tenantId);
    const grant = await this.grants.create(
      provider,
      interaction.tenantId,
      this.interactions.grantRequestOf(interaction, caller),
      caller.auth.sessionId,
    );
    return this.finish(request, reply, interaction, { consent: { grantId: grant.jti } });
  }

  /** The provider's resume URL for this result; every result names the SecureAuth session it was proven in. */
  private async finish(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: Interaction,
    result: InteractionResults,
  ) {
    const caller = await this.callers.of(request);
    const provider = await this.providers.providerFor(interaction.tenantId);
    const withSession: InteractionResults & Partial<PagesResult> = caller
      ? { ...result, sessionId: caller.auth.sessionId }
      : result;
    const next = await provider.interactionResult(request.raw, reply.raw, withSession, {
      mergeWithLastSubmission: false,
    });
    return reply.redirect(next, 303);
  }
}
