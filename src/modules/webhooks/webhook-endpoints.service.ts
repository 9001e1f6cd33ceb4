import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { CryptoService } from '../../common/crypto/crypto.service';
import { AppException } from '../../common/errors';
import { decodeCursor, olderThan, toPage } from '../../common/http/cursor';
import type { RequestContext } from '../../common/http/request-context';
import { webhooksConfig } from '../../config/webhooks.config';
import { AuditService } from '../audit/audit.service';
import { BoundedTtlCache } from '../tenants/bounded-ttl-cache';
import type {
  CreatedWebhookEndpointDto,
  CreateWebhookEndpointDto,
  UpdateWebhookEndpointDto,
  WebhookEndpointDto,
} from './webhook.dto';
import { checkWebhookUrl, resolvePublicAddress, WebhookDestinationRefused } from './webhook-destination';
import { WebhookEndpoint } from './webhook.entities';
import { newWebhookSecret } from './standard-webhooks';
import { subscribes, type WebhookEventType } from './webhook-events';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every event of every sign-in asks which endpoints want it: a tenant's enabled endpoints are
 * kept this long per process (a change made here is seen at once; in another process within
 * this time), so a tenant without webhooks costs no query per sign-in.
 */
const SUBSCRIBERS_CACHE_MS = 5000;

/** What a delivery needs of its endpoint. */
export interface Subscriber {
  id: string;
  events: string[];
}

/** Who changed an endpoint, for the audit. */
export interface EndpointActor {
  actorId: string;
  ctx: RequestContext;
}

/** The tenants' webhook endpoints (API.md "Outbound event webhooks"): registry, secrets, subscriptions. */
@Injectable()
export class WebhookEndpoints {
  private readonly subscribers = new BoundedTtlCache<string, Subscriber[]>(1000, SUBSCRIBERS_CACHE_MS);

  constructor(
    private readonly em: EntityManager,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(webhooksConfig.KEY) private readonly config: ConfigType<typeof webhooksConfig>,
  ) {}

  async list(tenantId: string, page: { limit: number; cursor?: string }) {
    const rows = await this.em
      .fork()
      .find(
        WebhookEndpoint,
        { tenantId, ...olderThan(decodeCursor(page.cursor)) },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.limit + 1 },
      );
    return toPage(rows, page.limit, viewOf);
  }

  async create(
    tenantId: string,
    input: CreateWebhookEndpointDto,
    actor: EndpointActor,
  ): Promise<CreatedWebhookEndpointDto> {
    await this.assertDestination(input.url);
    const secret = newWebhookSecret();
    const endpoint = Object.assign(new WebhookEndpoint(), {
      tenantId,
      url: input.url,
      events: [...new Set(input.events)],
    });
    endpoint.secret = this.crypto.encrypt(secret, endpoint.id);
    await this.em.fork().transactional(async (em) => {
      await em.insert(WebhookEndpoint, endpoint);
      await this.audit.record(
        auditOf('webhook.created', endpoint, actor, { url: endpoint.url, events: endpoint.events }),
        actor.ctx,
        em,
      );
    });
    this.forgetSubscribers(tenantId);
    return { ...viewOf(endpoint), secret };
  }

  async update(
    tenantId: string,
    id: string,
    input: UpdateWebhookEndpointDto,
    actor: EndpointActor,
  ): Promise<WebhookEndpointDto> {
    if (input.url !== undefined) await this.assertDestination(input.url);
    const em = this.em.fork();
    const endpoint = await this.find(em, tenantId, id);
    if (input.url !== undefined) endpoint.url = input.url;
    if (input.events !== undefined) endpoint.events = [...new Set(input.events)];
    if (input.enabled !== undefined) {
      endpoint.enabled = input.enabled;
      endpoint.disabledReason = null;
      // Switched on again: the day of failures that disables it counts from the next failure.
      if (input.enabled) endpoint.failingSince = null;
    }
    await em.transactional(async (tx) => {
      tx.persist(endpoint);
      await this.audit.record(auditOf('webhook.updated', endpoint, actor, { ...input }), actor.ctx, tx);
    });
    this.forgetSubscribers(tenantId);
    return viewOf(endpoint);
  }

  async remove(tenantId: string, id: string, actor: EndpointActor): Promise<void> {
    const em = this.em.fork();
    const endpoint = await this.find(em, tenantId, id);
    await em.transactional(async (tx) => {
      // Its deliveries go with it: their bodies name users, and nobody can retry them any more.
      await tx.execute(`delete from "webhook_delivery" where "endpoint_id" = ?`, [endpoint.id]);
      await tx.nativeDelete(WebhookEndpoint, { id: endpoint.id });
      await this.audit.record(auditOf('webhook.deleted', endpoint, actor, { url: endpoint.url }), actor.ctx, tx);
    });
    this.forgetSubscribers(tenantId);
  }

  /** The tenant's enabled endpoints that want `type` (cached briefly: see SUBSCRIBERS_CACHE_MS). */
  async subscribersOf(tenantId: string, type: WebhookEventType): Promise<Subscriber[]> {
    const now = this.clock.nowMs();
    let all = this.subscribers.get(tenantId, now);
    if (!all) {
      all = await this.em.execute<Subscriber[]>(
        `select "id", "events" from "webhook_endpoint" where "tenant_id" = ? and "enabled"`,
        [tenantId],
      );
      this.subscribers.set(tenantId, all, now);
    }
    return all.filter((endpoint) => subscribes(endpoint.events, type));
  }

  /** The next event of the tenant reads its endpoints afresh (a change made in this process). */
  forgetSubscribers(tenantId: string): void {
    this.subscribers.delete(tenantId);
  }

  /** The endpoint of this tenant, or NOT_FOUND (malformed ids too, without a query). */
  async find(em: EntityManager, tenantId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = UUID.test(id) ? await em.findOne(WebhookEndpoint, { id, tenantId }) : null;
    if (!endpoint) throw new AppException('NOT_FOUND');
    return endpoint;
  }

  /** The signing secret of an endpoint, for the worker. */
  secretOf(endpoint: WebhookEndpoint): string {
    return this.crypto.decryptString(endpoint.secret, endpoint.id);
  }

  /**
   * Refused at creation as at each send: not http(s), credentials, fragments, and (unless
   * WEBHOOK_ALLOW_PRIVATE) a host that resolves to a private, loopback or link-local address.
   */
  private async assertDestination(url: string): Promise<void> {
    const problem = checkWebhookUrl(url);
    if (problem) throw new AppException('VALIDATION_FAILED', [{ field: 'url', message: problem }]);
    try {
      // getaddrinfo has no deadline of its own: a stalled resolver must not hold the admin's request.
      const timedOut = sleep(this.config.timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error('DNS lookup timed out');
      });
      await Promise.race([resolvePublicAddress(hostOf(url), { allowPrivate: this.config.allowPrivate }), timedOut]);
    } catch (error) {
      const message =
        error instanceof WebhookDestinationRefused ? error.message : 'the host name does not resolve to an address';
      throw new AppException('VALIDATION_FAILED', [{ field: 'url', message }]);
    }
  }
}

export function viewOf(endpoint: WebhookEndpoint): WebhookEndpointDto {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt.toISOString(),
    lastSuccessAt: endpoint.lastSuccessAt?.toISOString() ?? null,
    lastFailureAt: endpoint.lastFailureAt?.toISOString() ?? null,
  };
}

function auditOf(
  type: 'webhook.created' | 'webhook.updated' | 'webhook.deleted',
  endpoint: WebhookEndpoint,
  actor: EndpointActor,
  data: Record<string, unknown>,
) {
  return {
    type,
    outcome: 'success' as const,
    tenantId: endpoint.tenantId,
    actorId: actor.actorId,
    data: { endpointId: endpoint.id, ...data },
  };
}

/** The URL's host as DNS (or an address literal) knows it: IPv6 literals lose their brackets. */
export function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}
