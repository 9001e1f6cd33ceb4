import type {
  ExampleObject,
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  PathItemObject,
  ReferenceObject,
  ResponseObject,
  TagObject,
} from '@nestjs/swagger';
import { REFRESH_COOKIE_SCHEME } from './api-docs';

/**
 * The tags in reading order: how a newcomer meets the API (Swagger UI and generated clients
 * list them in this order). Every controller's @ApiTags must be one of these.
 */
export const API_TAGS: TagObject[] = [
  {
    name: 'sign-up',
    description: 'Create an account with email and password; the mailed code activates it and signs in.',
  },
  {
    name: 'sign-in',
    description:
      'Sign in with a password, a one-time code (WhatsApp, SMS or email) or a passkey; answer the second-factor ' +
      'challenge when the account has one; reset a forgotten password.',
  },
  {
    name: 'sessions',
    description:
      'The access token and the rotating refresh token: who am I, refresh, sign out, the live sessions and ' +
      'the keys that verify access tokens.',
  },
  {
    name: 'mfa',
    description: 'Second factors: TOTP, email codes, passkeys and recovery codes (changes need a recent sign-in).',
  },
  { name: 'devices', description: 'The devices the caller signed in from; forget one to end its sessions.' },
  { name: 'account', description: "The caller's own account: password change and security history." },
  {
    name: 'admin',
    description: 'Tenant administration (RBAC permissions): users, sessions, audit and message delivery.',
  },
  { name: 'operations', description: 'Health, metrics and the delivery providers’ status webhooks.' },
];

/** Declared once under components.headers, referenced by every response that sends them. */
const HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description:
      'The request id (yours when you sent a well-formed X-Request-Id, else a new UUID); in every log line and error body.',
    schema: { type: 'string' },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed in the window of the strictest limit that applies (when throttling is on).',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Requests left in that window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until that window resets.', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
};

const ref = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': ref('RateLimit-Limit'),
  'RateLimit-Remaining': ref('RateLimit-Remaining'),
  'RateLimit-Reset': ref('RateLimit-Reset'),
};

/** Errors every operation can answer, declared once (ApiErrors leaves them out of each operation). */
export const SHARED_ERROR_RESPONSES: Record<number, { name: string; response: ResponseObject }> = {
  429: {
    name: 'TooManyRequests',
    response: {
      description: '`TOO_MANY_REQUESTS`: a rate limit was reached; retry after `Retry-After` seconds.',
      headers: { 'Retry-After': ref('Retry-After'), ...RATE_LIMIT_HEADERS },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
    },
  },
  500: {
    name: 'InternalError',
    response: {
      description: '`INTERNAL`: a fault of the service; the `requestId` finds it in the logs.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
    },
  },
  503: {
    name: 'ServiceUnavailable',
    response: {
      description:
        '`SERVICE_UNAVAILABLE`: PostgreSQL, Redis or a provider the request needs is unreachable; nothing was done.',
      headers: { 'Retry-After': ref('Retry-After') },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
    },
  },
};

/** A response in API.md's error shape (as ApiErrors declares them). */
function isErrorResponse(response: ResponseObject): boolean {
  const schema = response.content?.['application/json']?.schema as { allOf?: ReferenceObject[] } | undefined;
  return schema?.allOf?.[0]?.$ref === '#/components/schemas/ErrorResponseDto';
}

/** Each error code's example is the same in every operation: declared once, referenced. */
function shareErrorExamples(response: ResponseObject, shared: Record<string, ExampleObject>): void {
  const content = response.content?.['application/json'];
  if (!content?.examples || !isErrorResponse(response)) return;
  for (const [code, example] of Object.entries(content.examples)) {
    if ('$ref' in example) continue;
    shared[code] ??= example;
    content.examples[code] = { $ref: `#/components/examples/${code}` };
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function operationsOf(item: PathItemObject): OperationObject[] {
  return METHODS.map((method) => item[method]).filter((operation): operation is OperationObject => !!operation);
}

/**
 * What no decorator can say: the servers, the tags in reading order (and the paths in that
 * order), the response headers every route sends, and the errors every route can give,
 * declared once under components and referenced.
 */
export function finishOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  const tagOrder = API_TAGS.map((tag) => tag.name);
  const rank = (item: PathItemObject) => {
    const tag = operationsOf(item)[0]?.tags?.[0] ?? '';
    const index = tagOrder.indexOf(tag);
    if (index < 0) throw new Error(`OpenAPI: tag "${tag}" is not in API_TAGS (src/common/http/openapi-document.ts)`);
    return index;
  };
  const examples: Record<string, ExampleObject> = {};
  // A stable sort: within a tag, the paths keep the order their controllers declare them in.
  const paths = Object.entries(document.paths).sort(([, a], [, b]) => rank(a) - rank(b));
  for (const [path, item] of paths) {
    for (const operation of operationsOf(item)) {
      for (const [status, shared] of Object.entries(SHARED_ERROR_RESPONSES)) {
        const own = operation.responses[status] as ResponseObject | undefined;
        // Every /api route can answer these; elsewhere (health) a route may give the status its own body.
        if (own ? isErrorResponse(own) : path.startsWith('/api/')) {
          operation.responses[status] = { $ref: `#/components/responses/${shared.name}` };
        }
      }
      operation.responses = Object.fromEntries(
        Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)),
      );
      for (const response of Object.values(operation.responses) as Array<ResponseObject | ReferenceObject>) {
        if ('$ref' in response) continue;
        shareErrorExamples(response, examples);
        response.headers = {
          'X-Request-Id': ref('X-Request-Id'),
          ...(path.startsWith('/api/') ? RATE_LIMIT_HEADERS : {}),
          ...response.headers,
        };
      }
    }
  }
  return {
    ...document,
    servers: [{ url: '/', description: 'The service that serves this document' }],
    tags: API_TAGS,
    paths: Object.fromEntries(paths),
    components: {
      ...document.components,
      securitySchemes: {
        ...document.components?.securitySchemes,
        [REFRESH_COOKIE_SCHEME]: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sa_refresh',
          description:
            'The refresh token of a web client (HttpOnly cookie, Path=/api/auth); cookie requests need an allowed Origin.',
        },
      },
      headers: HEADERS,
      examples,
      responses: Object.fromEntries(
        Object.values(SHARED_ERROR_RESPONSES).map(({ name, response }) => [name, response]),
      ),
    },
  };
}
