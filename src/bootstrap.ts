import cookie from '@fastify/cookie';
import { MikroORM } from '@mikro-orm/core';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { finishOpenApiDocument } from './common/http/openapi-document';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { matchedRoute } from './common/http/matched-route';
import { createValidationPipe } from './common/http/validation.pipe';
import { createLogger, lazyChildLoggerFactory, PinoNestLogger } from './common/logging/logger';
import { securityHeaders } from './common/http/security-headers';
import { registerRequestContext } from './database/request-context';
import { MetricsService } from './common/metrics/metrics.service';
import { AppException } from './common/errors/app-exception';
import { renderError } from './common/errors/render-error';
import { TWILIO_WEBHOOK_PATH } from './modules/delivery/delivery.constants';
import { OIDC_FORM_PATHS, registerOidcProvider } from './modules/oidc/oidc-http.setup';
import { PAGE_FORM_PATHS, registerPageViews } from './modules/pages/pages-http.setup';
import { appConfig, validateConfiguration } from './config';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** What a client did wrong when Node refuses the connection before Fastify sees a request. */
const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'headers too large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request not received in time',
};

export interface CreateAppOptions {
  /** Run the delivery worker in this process (APP_ROLE=all). */
  withWorker?: boolean;
}

/** Builds the HTTP application exactly as production runs it; tests use the same function. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  return (await createAppWithLogger(options)).app;
}

export async function createAppWithLogger(
  options: CreateAppOptions = {},
): Promise<{ app: NestFastifyApplication; logger: ReturnType<typeof createLogger> }> {
  const warnings = validateConfiguration();
  const config = appConfig();
  const logger = createLogger(config.logLevel);
  for (const warning of warnings) logger.warn({ msg: warning });
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    childLoggerFactory: lazyChildLoggerFactory,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // Slow clients cannot hold sockets open: Node checks the header and request deadlines only
    // every connectionsCheckingInterval (30 s by default), so that is tightened too.
    connectionTimeout: config.http.connectionTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(config.http.headersTimeoutMs, config.http.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.http.headersTimeoutMs / 4))),
    },
    // genReqId reads X-Request-Id itself so that a hostile value is replaced, not echoed.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors Fastify raises before routing (an over-long path parameter, a bad URL) get API.md's shape too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body, headers } = renderError(error, String(request.id));
      void reply
        .status(status)
        .headers({ ...headers, 'x-request-id': String(request.id) })
        .send(body);
    },
    // Malformed requests that never become a request (headers too large, bad HTTP): a shaped 400, then close.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const requestId = randomUUID();
      const body = JSON.stringify({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        error: 'Validation failed',
        requestId,
        details: [
          {
            field: 'request',
            message: CLIENT_ERROR_MESSAGES[(error as { code?: string }).code ?? ''] ?? 'malformed request',
          },
        ],
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-Request-Id: ${requestId}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
  });
  const withWorker = options.withWorker ?? config.role === 'all';
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forApi({ withWorker }), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    abortOnError: false,
  });
  await configureApp(app);
  return { app, logger };
}

async function configureApp(app: NestFastifyApplication): Promise<void> {
  const config = appConfig();
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);

  registerRequestContext(fastify, app.get(MikroORM).em);
  const headers = securityHeaders(config.production);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.headers(headers).header('x-request-id', request.id);
    assertJsonBody(request);
  });
  fastify.addHook('onRequest', (_request, _reply, done) => {
    inFlight.count++;
    done();
  });
  fastify.addHook('onRequestAbort', (_request, done) => {
    inFlight.release();
    done();
  });
  fastify.addHook('onResponse', async (request, reply) => {
    inFlight.release();
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration
      .labels(request.method, route, String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });
  // Errors raised by Fastify itself (body parsing, content type, size) before Nest sees the request.
  fastify.setErrorHandler((error, request, reply) => {
    const { status, body, headers } = renderError(error, String(request.id));
    void reply.status(status).headers(headers).send(body);
  });

  await app.register(cookie);
  await registerPageViews(app, config.production);
  await registerOidcProvider(app);
  app.enableCors({
    origin: config.corsOrigins,
    // A stray OPTIONS without preflight headers is answered like any other, not with a text 400.
    strictPreflight: false,
    credentials: true,
    // Every method an /api route answers; @fastify/cors' default (GET, HEAD, POST) left the web
    // origin unable to rename a device or revoke a session.
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
  });
  app.useGlobalPipes(createValidationPipe());

  // Built on the first visit to /docs, not on every start (~0.15 s of the ready time).
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
    customSiteTitle: 'SecureAuth API',
  });
}

/** Requests being answered by this process; shutdown waits for them before closing Redis and PostgreSQL. */
const inFlight = {
  count: 0,
  idle: [] as Array<() => void>,
  release(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) for (const resolve of this.idle.splice(0)) resolve();
  },
};

/** Resolves once no request is being answered (immediately when none is). */
export function allRequestsAnswered(): Promise<void> {
  return inFlight.count === 0 ? Promise.resolve() : new Promise((resolve) => inFlight.idle.push(resolve));
}

/** Form bodies are only for provider callbacks (Twilio posts application/x-www-form-urlencoded) and the hosted pages' forms. */
const FORM_BODY_PATHS = [TWILIO_WEBHOOK_PATH, ...PAGE_FORM_PATHS, ...OIDC_FORM_PATHS];

/** Every body the API accepts is JSON (API.md); anything else is 415 before a parser sees it. */
function assertJsonBody(request: FastifyRequest): void {
  const hasBody =
    Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return;
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return;
  const route = matchedRoute(request);
  if (type === 'application/x-www-form-urlencoded' && route !== undefined && FORM_BODY_PATHS.includes(route)) return;
  throw new AppException('UNSUPPORTED_MEDIA_TYPE');
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('SecureAuth API')
    .setDescription(
      [
        'Authentication service: accounts, passwordless codes, sessions, MFA, devices, administration.',
        '',
        '**Authorize:** sign in with `POST /api/auth/login` (or verify a code), copy `accessToken` from the answer, ' +
          'press **Authorize** and paste it under `bearer`. Tokens live ACCESS_TOKEN_TTL (15 minutes by default): `POST /api/auth/refresh` gives a new one.',
        '',
        'Browsers use the `sa_access` and `sa_refresh` cookies instead; a cookie request from a script must send an ' +
          '`Origin` the service allows (its own, or one of `CORS_ORIGINS`). Send `"client":"native"` to get the refresh ' +
          'token in the body instead of a cookie. Every error has the shape `{statusCode, code, error, requestId}`; ' +
          'each operation lists the codes it can answer.',
      ].join('\n'),
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addCookieAuth('sa_access', { type: 'apiKey', in: 'cookie', name: 'sa_access' }, 'access-cookie')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (GET /metrics only)' },
      'metrics-token',
    )
    .build();
  return finishOpenApiDocument(
    SwaggerModule.createDocument(app, builder, {
      operationIdFactory: (_controllerKey, methodKey) => methodKey,
      // Tags are ours (API_TAGS), never the controller's class name.
      autoTagControllers: false,
    }),
  );
}
