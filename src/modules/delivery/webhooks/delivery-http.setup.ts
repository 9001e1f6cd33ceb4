import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { PermissionsService } from '../../../common/auth/permissions.service';
import { renderError } from '../../../common/errors/render-error';
import { AppException } from '../../../common/errors';
import { matchedRoute } from '../../../common/http/matched-route';
import { AccessTokenVerifier } from '../../sessions/access-token.verifier';
import { DELIVERY_QUEUE, GENERIC_WEBHOOK_PATH } from '../delivery.constants';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** Provider events are small; anything bigger is not one. */
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/**
 * The raw-Fastify parts of delivery: the exact body bytes of the signed webhook (the HMAC is
 * over them, not over re-serialised JSON) and the Bull Board dashboard, which Nest guards do
 * not cover, so it runs the live platform-admin check itself.
 */
@Injectable()
export class DeliveryHttpSetup implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly verifier: AccessTokenVerifier,
    private readonly permissions: PermissionsService,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('preParsing', keepRawBodyOfSignedWebhook);
    await this.registerQueueDashboard(fastify);
  }

  private async registerQueueDashboard(fastify: FastifyInstance): Promise<void> {
    const serverAdapter = new BullBoardFastifyAdapter();
    serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
    createBullBoard({ queues: [new BullMQAdapter(this.queue, { readOnlyMode: false })], serverAdapter });
    const requirePlatformAdmin = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        // One queue carries every tenant's messages: only platform admins may see or steer it.
        // The same live check as the admin API: a demoted or disabled admin is out at once.
        await this.permissions.assertLivePlatformAdmin(await this.verifier.authenticate(request));
      } catch (error) {
        const { status, body, headers } = renderError(error, String(request.id));
        return reply.status(status).headers(headers).type('application/json; charset=utf-8').send(body);
      }
    };
    // An encapsulated context: the check applies to every dashboard route and nothing else.
    await fastify.register(async (scope) => {
      scope.addHook('onRequest', requirePlatformAdmin);
      await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
    });
  }
}

async function keepRawBodyOfSignedWebhook(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: NodeJS.ReadableStream,
): Promise<NodeJS.ReadableStream> {
  if (request.method !== 'POST' || matchedRoute(request) !== GENERIC_WEBHOOK_PATH) return payload;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    if (size > MAX_WEBHOOK_BODY_BYTES) throw new AppException('PAYLOAD_TOO_LARGE');
    chunks.push(buffer);
  }
  request.webhookRawBody = Buffer.concat(chunks);
  const replay = Readable.from([request.webhookRawBody]) as Readable & { receivedEncodedLength?: number };
  replay.receivedEncodedLength = request.webhookRawBody.length;
  return replay;
}
