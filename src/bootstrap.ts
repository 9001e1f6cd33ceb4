import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { createValidationPipe } from './common/http/validation.pipe';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { MetricsService } from './common/metrics/metrics.service';
import { renderError } from './common/errors/render-error';
import { appConfig, validateConfiguration } from './config';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CreateAppOptions {
  /** Run the delivery worker in this process (APP_ROLE=all). */
  withWorker?: boolean;
}

/** Builds the HTTP application exactly as production runs it; tests use the same function. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  validateConfiguration();
  const config = appConfig();
  const logger = createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    disableRequestLogging: true,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    // Slow clients cannot hold sockets open forever.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    // genReqId reads X-Request-Id itself so that a hostile value is replaced, not echoed.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  const withWorker = options.withWorker ?? config.role === 'all';
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forApi({ withWorker }), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    abortOnError: false,
  });
  await configureApp(app);
  return app;
}

async function configureApp(app: NestFastifyApplication): Promise<void> {
  const config = appConfig();
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);

  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
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

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Swagger UI at /docs needs inline styles and its own scripts.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
      },
    },
  });
  await app.register(cookie);
  app.enableCors({
    origin: config.corsOrigins,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('SecureAuth')
    .setDescription('Authentication service: accounts, passwordless OTP, sessions, MFA, devices, administration.')
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addCookieAuth('sa_access', { type: 'apiKey', in: 'cookie', name: 'sa_access' }, 'access-cookie')
    .build();
  return SwaggerModule.createDocument(app, builder, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
}
