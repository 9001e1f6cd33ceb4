import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import '@fastify/view';
import { appConfig, pagesConfig } from '../../config';
import { serviceOrigin } from '../sessions/csrf';
import { cookieOf } from '../sessions/session-cookies';
import { renderError } from '../../common/errors/render-error';
import type { TenantSettings } from '../tenants/tenant.entity';
import { PageContinuations } from './page-continuations';
import { TenantsService } from '../tenants/tenants.service';
import { translator, type Translate } from './i18n/page-i18n';
import { flowOf, flowQuery, languageOf, pageError, type PageError, type PageFlow } from './page-context';
import { CSRF_COOKIE, newCsrfToken, newNonce, pageCsp, safeReturnTo } from './page-security';

export type PageView =
  | 'account-security'
  | 'signin'
  | 'signin-code'
  | 'signin-mfa'
  | 'signup'
  | 'signup-verify'
  | 'forgot'
  | 'reset'
  | 'account'
  | 'account-reauth'
  | 'account-sessions'
  | 'account-history'
  | 'oidc-reauth'
  | 'oidc-consent';

/** What a page shows of its tenant: the name, the logo, and whether its colour sheet is linked. */
export interface PageBrand {
  name: string;
  logoUrl?: string;
  /** The tenant's colour sheet (BRAND_STYLESHEET_PATH), when it has a colour. */
  stylesheet?: string;
}

export const BRAND_STYLESHEET_PATH = '/pages/assets/brand.css';

function brandOf(tenantId: string | undefined, settings: TenantSettings): PageBrand {
  return {
    name: settings.displayName ?? 'SecureAuth',
    logoUrl: settings.logoUrl,
    stylesheet:
      tenantId && settings.primaryColor ? `${BRAND_STYLESHEET_PATH}?tenant=${encodeURIComponent(tenantId)}` : undefined,
  };
}

export interface RenderOptions {
  status?: number;
  /** What went wrong: rendered as the API renders it (same code and status), shown in role="alert". */
  failure?: unknown;
  notice?: string;
  /** Values of the page's own inputs, shown back after an error (never passwords or codes). */
  values?: Record<string, string>;
  userLocale?: string | null;
  /** Image sources the page needs beyond its own origin (e.g. `data:` for a QR code). */
  imageSources?: string[];
  /** Origins this page's forms may reach through redirects (an OIDC client's redirect URI). */
  formActionOrigins?: string[];
  [key: string]: unknown;
}

/**
 * Writes a hosted page: its own headers (the API's CSP does not fit a page that runs a nonce'd
 * script), a CSRF cookie when the browser has none, and the template with the flow's fields.
 */
@Injectable()
export class PageRenderer {
  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(pagesConfig.KEY) private readonly pages: ConfigType<typeof pagesConfig>,
    private readonly tenants: TenantsService,
    private readonly continuations: PageContinuations,
  ) {}

  async render(request: FastifyRequest, reply: FastifyReply, view: PageView, options: RenderOptions = {}) {
    const flow = flowOf(request);
    const settings = await this.tenantSettings(request);
    const lang = languageOf(request, flow, options.userLocale, settings.locale);
    const brand = brandOf(request.tenantId, settings);
    const nonce = newNonce();
    const csrf = this.csrfToken(request, reply);
    const returnTo = this.returnTo(request, flow);
    const formOrigins = [...(options.formActionOrigins ?? []), ...(await this.continuations.formOriginsOf(returnTo))];
    void reply
      .code(options.status ?? 200)
      .header(
        'content-security-policy',
        pageCsp(
          nonce,
          [...(brand.logoUrl ? [new URL(brand.logoUrl).origin] : []), ...(options.imageSources ?? [])],
          formOrigins,
        ),
      )
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-store')
      .header('content-language', lang)
      .type('text/html; charset=utf-8');
    const t = translator(lang);
    const html = await reply.viewAsync(`${view}.eta`, {
      ...options,
      values: options.values ?? {},
      t,
      lang,
      brand,
      nonce,
      csrf,
      flow: { ...flow, lang: flow.lang },
      returnTo,
      query: flowQuery(flow),
      error: options.failure === undefined ? undefined : this.failureOf(options.failure, request, reply, t),
    });
    return reply.send(html);
  }

  /**
   * The branding and language of the page's tenant (cached by TenantsService). Only looks: a page
   * about an unknown or disabled tenant, or the 503 page of a database that went away, is plain
   * SecureAuth rather than no page at all (the gate already refused what needed the tenant).
   */
  private async tenantSettings(request: FastifyRequest): Promise<TenantSettings> {
    if (!request.tenantId) return {};
    return this.tenants.settingsOf(request.tenantId).catch(() => ({}));
  }

  /**
   * For the passkey buttons' JSON requests: the API's error (status, code, Retry-After) with the
   * message in the page's language, which the script shows in role="alert".
   */
  async failJson(request: FastifyRequest, reply: FastifyReply, failure: unknown) {
    const { status, body, headers } = renderError(failure, String(request.id));
    const settings = await this.tenantSettings(request);
    const t = translator(languageOf(request, flowOf(request), undefined, settings.locale));
    return reply
      .code(status)
      .headers(headers)
      .send({ code: body.code, message: pageError(t, body).message });
  }

  /** The API's error for what went wrong (its status, Retry-After), shown in the page's words. */
  private failureOf(failure: unknown, request: FastifyRequest, reply: FastifyReply, t: Translate): PageError {
    const { status, body, headers } = renderError(failure, String(request.id));
    void reply.code(status).headers(headers);
    return pageError(t, body);
  }

  /** Where a finished sign-in goes: an allowed `return_to`, else the account page. */
  afterSignIn(request: FastifyRequest, flow: PageFlow = flowOf(request)): string {
    return this.returnTo(request, flow) ?? `/account${flowQuery({ ...flow, returnTo: undefined })}`;
  }

  ownOrigin(request: FastifyRequest): string {
    return serviceOrigin(request, this.app);
  }

  private returnTo(request: FastifyRequest, flow: PageFlow): string | undefined {
    return safeReturnTo(flow.returnTo, this.ownOrigin(request), this.pages.returnToOrigins);
  }

  private csrfToken(request: FastifyRequest, reply: FastifyReply): string {
    const existing = cookieOf(request, CSRF_COOKIE);
    if (existing && existing.length >= 32) return existing;
    const token = newCsrfToken();
    // Lax, not Strict: a visitor arriving from another site's link still gets a working form.
    void reply.setCookie(CSRF_COOKIE, token, {
      httpOnly: true,
      secure: this.app.cookieSecure,
      sameSite: 'lax',
      path: '/',
    });
    return token;
  }
}
