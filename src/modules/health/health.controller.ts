import { MikroORM } from '@mikro-orm/postgresql';
import { Controller, Get, Header, Headers, HttpStatus, Inject, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  type SchemaObject,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors';
import { ApiErrors } from '../../common/http/api-docs';
import { METRICS_CONTENT_TYPE, publicScrapeVerdict } from '../../common/metrics/metrics-access';
import { MetricsService } from '../../common/metrics/metrics.service';
import { REDIS } from '../../common/redis/redis.constants';
import { metricsConfig } from '../../config/metrics.config';

const PROBE_TIMEOUT_MS = 1500;

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => (timer = setTimeout(() => resolve('down'), PROBE_TIMEOUT_MS)));
  try {
    return await Promise.race([check().then(() => 'ok' as const), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** What both health routes answer. */
const HEALTH_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: {
      type: 'object',
      properties: {
        postgres: { type: 'string', enum: ['ok', 'down'] },
        redis: { type: 'string', enum: ['ok', 'down'] },
      },
    },
  },
};

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly orm: MikroORM,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: MetricsService,
    @Inject(metricsConfig.KEY) private readonly metricsAccess: ConfigType<typeof metricsConfig>,
  ) {}

  @Get('health/live')
  @ApiOperation({
    operationId: 'live',
    summary: 'Liveness: the process answers',
    description:
      'Checks nothing but the event loop: restart the process when this fails, not when a dependency is down.',
  })
  @ApiOkResponse({ description: 'The process is running', schema: HEALTH_SCHEMA })
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({
    operationId: 'ready',
    summary: 'Readiness: PostgreSQL and Redis answer',
    description:
      'Send traffic to this process only while it answers 200; each dependency is probed with one round trip.',
  })
  @ApiOkResponse({
    description: 'PostgreSQL and Redis answer',
    schema: { ...HEALTH_SCHEMA, example: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } } },
  })
  @ApiResponse({
    status: HttpStatus.SERVICE_UNAVAILABLE,
    description: 'A dependency is down',
    schema: { ...HEALTH_SCHEMA, example: { status: 'unavailable', checks: { postgres: 'ok', redis: 'down' } } },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [postgres, redis] = await Promise.all([
      probe(() => this.orm.em.getConnection().execute('select 1')),
      probe(() => this.redis.ping()),
    ]);
    const healthy = postgres === 'ok' && redis === 'ok';
    void reply.status(healthy ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: healthy ? 'ok' : 'unavailable', checks: { postgres, redis } };
  }

  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @ApiOperation({
    operationId: 'metrics',
    summary: 'Prometheus metrics of this process',
    description:
      'Only with `Authorization: Bearer <METRICS_TOKEN>`. Without METRICS_TOKEN this route answers 404 ' +
      '(METRICS_PORT serves the metrics on 127.0.0.1 instead).',
  })
  @ApiBearerAuth('metrics-token')
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    schema: { type: 'string', example: 'http_request_duration_seconds_bucket{...} 1' },
  })
  @ApiErrors('UNAUTHORIZED', 'NOT_FOUND')
  metricsText(@Headers('authorization') authorization: string | undefined) {
    switch (publicScrapeVerdict(this.metricsAccess.token, authorization)) {
      case 'allowed':
        return this.metrics.registry.metrics();
      case 'unauthorized':
        throw new AppException('UNAUTHORIZED');
      case 'not_found':
        throw new AppException('NOT_FOUND');
    }
  }
}
