import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException } from '../../common/errors/app-exception';
import { renderError } from '../../common/errors/render-error';
import { RateLimiter } from '../../common/throttling/rate-limiter';
import { throttleConfig } from '../../config';
import type { ConfigType } from '@nestjs/config';
import { PageCallers } from '../pages/page-caller.service';
import { TenantsService } from '../tenants/tenants.service';
import { isAuthorizationPath, type WithWebSession } from './provider/web-session';
import { OidcProviders } from './provider/oidc-provider.registry';

/** The route every issuer's endpoints share; the interaction pages (Nest routes) are more specific and win. */
export const OIDC_PROVIDER_ROUTE = '/oidc/:tenant/*';

/** Routes that take form bodies: the provider's endpoints (token, revocation…) and the interaction pages' forms. */
export const OIDC_FORM_PATHS = [
  OIDC_PROVIDER_ROUTE,
  '/oidc/:tenant/interaction/:uid/reauthenticate',
  '/oidc/:tenant/interaction/:uid/consent',
];

/** Headers of the provider's answers: not the API's CSP (its form_post page submits to the client). */
const PROVIDER_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
};

/**
 * Mounts oidc-provider (a Koa app) under /oidc/{tenant}: in its own Fastify scope without body
 * parsers, so the provider reads the raw request body itself, and with the tenant's prefix taken
 * off the URL (kept as originalUrl: the provider builds its endpoint URLs from it).
 */
export async function registerOidcProvider(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const providers = app.get(OidcProviders);
  const tenants = app.get(TenantsService);
  const limiter = app.get(RateLimiter);
  const callers = app.get(PageCallers);
  const throttle = app.get<ConfigType<typeof throttleConfig>>(throttleConfig.KEY);
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const handler = async (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
      const tenantId = request.params.tenant;
      try {
        // Nest's throttler guard never sees these routes: the same per-IP budget, in Redis for every process.
        if (throttle.enabled) {
          const budget = await limiter.hit(`throttle:{oidc:${request.ip}}`, throttle.defaultLimit, throttle.defaultTtl);
          if (!budget.allowed) throw AppException.tooManyRequests(budget.resetSeconds);
        }
        await tenants.resolveActive(tenantId);
      } catch (failure) {
        const { status, body, headers } = renderError(failure, String(request.id));
        return reply.status(status).headers(headers).send(body);
      }
      const raw = request.raw as WithWebSession & { originalUrl?: string };
      const path = raw.url!.slice(`/oidc/${tenantId}`.length) || '/';
      try {
        if (isAuthorizationPath(path.split('?')[0])) {
          request.tenantId = tenantId;
          raw.secureauthSession = (await callers.of(request))?.auth;
        }
      } catch (failure) {
        // Redis unreachable is no sign-out: 503, as on every page.
        const { status, body, headers } = renderError(failure, String(request.id));
        return reply.status(status).headers(headers).send(body);
      }
      const handle = await providers.handlerFor(tenantId);
      reply.hijack();
      raw.originalUrl = raw.url;
      raw.url = path;
      for (const [name, value] of Object.entries(PROVIDER_HEADERS)) reply.raw.setHeader(name, value);
      reply.raw.setHeader('x-request-id', String(request.id));
      await handle(raw, reply.raw);
    };
    scope.route({ method: ['GET', 'POST', 'HEAD', 'OPTIONS'], url: OIDC_PROVIDER_ROUTE, handler });
  });
}
