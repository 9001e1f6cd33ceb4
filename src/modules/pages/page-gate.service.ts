import { type ExecutionContext, Injectable, type Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../common/errors/app-exception';
import { requestContextOf, type RequestContext } from '../../common/http/request-context';
import { createValidationPipe } from '../../common/http/validation.pipe';
import { CaptchaGuard } from '../captcha/captcha.guard';
import { cookieOf } from '../sessions/session-cookies';
import { TenantsService } from '../tenants/tenants.service';
import { PageContinuations } from './page-continuations';
import { flowOf, type FormBody } from './page-context';
import { CSRF_COOKIE, CSRF_FIELD, isCsrfTokenValid } from './page-security';

/** Said when a form's `_csrf` does not match the browser's cookie (a forged or stale form). */
export const CSRF_REFUSED = 'The form was not sent from this service, or it expired: reload the page and try again.';

/**
 * What every page does before its work: the tenant from `?tenant=` / the hidden field (as
 * TenantGuard does from X-Tenant-Id for /api), and for a form, the CSRF token.
 */
@Injectable()
export class PageGate {
  private readonly validation = createValidationPipe();

  constructor(
    private readonly tenants: TenantsService,
    private readonly captcha: CaptchaGuard,
    private readonly continuations: PageContinuations,
  ) {}

  async enter(request: FastifyRequest): Promise<RequestContext> {
    const flow = flowOf(request);
    request.tenantId = (await this.tenants.resolveActive(flow.tenant)).id;
    const ctx = requestContextOf(request);
    // A sign-in for an app (an OIDC authorization waiting in return_to) records that app as its service.
    ctx.clientName ??= await this.continuations.serviceOf(flow.returnTo);
    return ctx;
  }

  /** A form post: CSRF first (a forged form learns nothing, not even whether the tenant exists), then the tenant. */
  async enterForm(request: FastifyRequest): Promise<RequestContext> {
    const body = request.body as FormBody | undefined;
    if (!isCsrfTokenValid(cookieOf(request, CSRF_COOKIE), body?.[CSRF_FIELD])) {
      throw AppException.saying('FORBIDDEN', CSRF_REFUSED);
    }
    return this.enter(request);
  }

  /**
   * The tenant's CAPTCHA, as @RequireCaptcha enforces it on the matching API route (the form's
   * `captchaToken` field). It runs here, not as a route guard, because a page's tenant is known
   * only once the form is read; without a widget on the page, `captcha: "always"` fails closed.
   */
  async assertCaptcha(request: FastifyRequest): Promise<void> {
    const http = { getRequest: () => request };
    await this.captcha.canActivate({ switchToHttp: () => http } as unknown as ExecutionContext);
  }

  /**
   * The API's DTO for the fields a form sent, validated by the API's own pipe: a page accepts
   * exactly what the route it stands for accepts, and fails with the same VALIDATION_FAILED.
   * Empty optional fields are left out (a form sends every input, filled or not), or, with
   * `blank: 'null'`, sent as null (a form that edits stored values clears a field by emptying it).
   */
  async input<T extends object>(
    dto: Type<T>,
    body: FormBody | undefined,
    fields: string[],
    blank: 'omit' | 'null' = 'omit',
  ): Promise<T> {
    const plain: Record<string, string | null> = {};
    for (const name of fields) {
      const value = body?.[name];
      if (typeof value === 'string' && value.length > 0) plain[name] = value;
      else if (blank === 'null') plain[name] = null;
    }
    return (await this.validation.transform(plain, { type: 'body', metatype: dto, data: undefined })) as T;
  }
}
