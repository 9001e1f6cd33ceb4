import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AppException } from '../../../common/errors';
import { matchedRoute } from '../../../common/http/matched-route';
import { GENERIC_WEBHOOK_PATH } from '../delivery.constants';

/** Provider events are small; anything bigger is not one. */
const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/**
 * The raw-Fastify part of delivery: the exact body bytes of the signed webhook (the HMAC is over
 * them, not over re-serialised JSON). The queue dashboard is admin's (admin/queue-dashboard.setup.ts).
 */
@Injectable()
export class DeliveryHttpSetup implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('preParsing', keepRawBodyOfSignedWebhook);
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
