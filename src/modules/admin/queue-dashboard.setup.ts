import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderError } from '../../common/errors/render-error';
import { PermissionsService } from '../access/permissions.service';
import { DELIVERY_QUEUE } from '../delivery/delivery.constants';
import { AccessTokenVerifier } from '../sessions/access-token.verifier';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The Bull Board dashboard over the delivery queue. It is raw Fastify, which Nest guards do not
 * cover, so it runs the live platform-admin check itself. API process only: the worker has no
 * HTTP adapter.
 */
@Injectable()
export class QueueDashboardSetup implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly verifier: AccessTokenVerifier,
    private readonly permissions: PermissionsService,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify) await this.registerQueueDashboard(fastify);
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
