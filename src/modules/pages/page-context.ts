import type { FastifyRequest } from 'fastify';
import type { ErrorBody } from '../../common/errors/app-exception';
import { pickLanguage, translator, type PageLanguage, type Translate } from './i18n/page-i18n';

/** What a page keeps through a flow: as query parameters on a GET, as hidden fields in a form. */
export interface PageFlow {
  tenant: string;
  lang?: PageLanguage;
  returnTo?: string;
}

export type FormBody = Record<string, unknown>;

function field(source: unknown, name: string): string | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 2048 ? value : undefined;
}

/** A form field as text ('' when absent or not text): what the page shows back in its input. */
export function text(body: FormBody | undefined, name: string): string {
  return field(body, name) ?? '';
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The flow of a request: the form's hidden fields win over the query (a POST keeps what its page showed). */
export function flowOf(request: FastifyRequest): PageFlow {
  const pick = (name: string) => field(request.body, name) ?? field(request.query, name);
  const tenant = pick('tenant');
  const lang = pick('lang');
  return {
    tenant: tenant !== undefined && TENANT_ID.test(tenant) ? tenant : 'default',
    lang: lang === 'en' || lang === 'de' ? lang : undefined,
    returnTo: pick('return_to'),
  };
}

export function languageOf(
  request: FastifyRequest,
  flow: PageFlow,
  userLocale?: string | null,
  tenantLocale?: string | null,
): PageLanguage {
  const accept = request.headers['accept-language'];
  return pickLanguage({
    query: flow.lang,
    userLocale,
    acceptLanguage: typeof accept === 'string' ? accept : undefined,
    fallback: tenantLocale,
  });
}

/** The query that carries a flow to the next page. */
export function flowQuery(flow: PageFlow): string {
  const params = new URLSearchParams();
  if (flow.tenant !== 'default') params.set('tenant', flow.tenant);
  if (flow.lang) params.set('lang', flow.lang);
  if (flow.returnTo) params.set('return_to', flow.returnTo);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** An error as a page shows it: the translated text for its code, and which fields were wrong. */
export interface PageError {
  code: string;
  message: string;
  fields: Array<{ field: string; message: string }>;
}

export function pageError(t: Translate, error: Pick<ErrorBody, 'code' | 'details'> | { code: 'CSRF' }): PageError {
  const key = `errors.${error.code}`;
  const message = t(key);
  return {
    code: error.code,
    message: message === key ? t('errors.INTERNAL') : message,
    fields: 'details' in error && error.details ? error.details.slice(0, 10) : [],
  };
}

export { translator };
