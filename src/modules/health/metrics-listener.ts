import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AppException } from '../../common/errors';
import { renderError } from '../../common/errors/render-error';
import { METRICS_CONTENT_TYPE } from '../../common/metrics/metrics-access';
import { MetricsService } from '../../common/metrics/metrics.service';
import { metricsConfig } from '../../config/metrics.config';

/** Loopback only: whoever can connect already runs on this host, so no token is asked. */
const METRICS_HOST = '127.0.0.1';

/**
 * METRICS_PORT: a second, tiny HTTP listener on 127.0.0.1 that serves /metrics and nothing
 * else, for a scraper running beside the service (a sidecar, a node agent).
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsListener.name);
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { port } = this.config;
    if (port === undefined) return;
    const server = createServer((request, response) => void this.answer(request, response));
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    // A port already taken stops the start, like the public port would.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, METRICS_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`metrics served on http://${METRICS_HOST}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    try {
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        throw new AppException('NOT_FOUND');
      }
      const text = await this.metrics.registry.metrics();
      response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'x-request-id': requestId });
      response.end(request.method === 'HEAD' ? undefined : text);
    } catch (error) {
      const { status, body, headers } = renderError(error, requestId);
      response.writeHead(status, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': requestId,
      });
      response.end(JSON.stringify(body));
    }
  }
}
