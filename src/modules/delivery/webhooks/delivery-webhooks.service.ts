import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { Clock } from '../../../common/clock/clock';
import { AppException } from '../../../common/errors';
import { REDIS } from '../../../common/redis/redis.constants';
import { deliveryConfig } from '../../../config/delivery.config';
import { ProviderEventsService } from './provider-events.service';
import type { GenericWebhookDto } from './webhook.dto';
import { verifyGenericWebhook, verifyTwilioSignature } from './webhook-signatures';

/** Processed signatures are remembered a little longer than a signature stays fresh. */
const REPLAY_WINDOW_SECONDS = 600;
/** Twilio signs no timestamp, so a captured callback stays valid: remember it for a day. */
const TWILIO_REPLAY_WINDOW_SECONDS = 24 * 3600;
/**
 * Twilio error codes of a status callback that mean the number cannot receive our messages
 * (invalid, opted out with STOP, unroutable, not a mobile, unknown to its carrier, landline),
 * so its owner is better served by suppressing it than by texting it again. Carrier states
 * that pass are not among them: 30003 (handset switched off or without signal), 30004
 * (blocked, often by a temporary carrier rule), 30007 (the carrier filtered the message, not
 * the number), 30008 (unknown): the next message may well arrive, and suppressing would lock
 * the owner out of phone sign-in for good.
 */
const TWILIO_PERMANENT_CODES = new Set(['21211', '21610', '21612', '21614', '30005', '30006']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of the body, kept only for the signed webhook routes. */
    webhookRawBody?: Buffer;
    /** The verified X-SecureAuth-Signature value of a generic webhook. */
    webhookSignature?: string;
  }
}

/** Authenticates provider callbacks and turns them into message events. */
@Injectable()
export class DeliveryWebhooksService {
  constructor(
    private readonly events: ProviderEventsService,
    private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
  ) {}

  /** 401 UNAUTHORIZED unless the body carries a fresh, valid X-SecureAuth-Signature. Returns the signature. */
  authenticateGeneric(request: FastifyRequest): string {
    const header = request.headers['x-secureauth-signature'];
    const check = verifyGenericWebhook(
      typeof header === 'string' ? header : undefined,
      request.webhookRawBody,
      this.config.webhookSecret,
      this.clock.nowSeconds(),
    );
    if (!check.valid) throw new AppException('UNAUTHORIZED');
    return check.signature;
  }

  async handleGeneric(signature: string, event: GenericWebhookDto): Promise<void> {
    // A replay (same signed bytes) is acknowledged and ignored.
    const first = await this.redis.set(`webhook:seen:${signature}`, '1', 'EX', REPLAY_WINDOW_SECONDS, 'NX');
    if (first !== 'OK') return;
    await this.events.apply({
      messageId: event.messageId,
      type: event.type,
      permanent: event.permanent,
      reason: event.reason,
      provider: 'webhook',
    });
  }

  /** 401 UNAUTHORIZED unless X-Twilio-Signature matches the URL Twilio called and every form field. */
  async handleTwilio(request: FastifyRequest): Promise<void> {
    const authToken = this.config.twilio?.authToken;
    const params = formParams(request.body);
    const header = request.headers['x-twilio-signature'];
    const url = `${this.config.publicBaseUrl ?? `${request.protocol}://${request.host}`}${request.url}`;
    if (
      !authToken ||
      !params ||
      !verifyTwilioSignature(typeof header === 'string' ? header : undefined, authToken, url, params)
    ) {
      throw new AppException('UNAUTHORIZED');
    }
    const messageId = (request.query as Record<string, unknown>).messageId;
    const status = typeof params.MessageStatus === 'string' ? params.MessageStatus : '';
    if (typeof messageId !== 'string' || !/^[0-9a-f-]{36}$/i.test(messageId)) return;
    // The signature covers the URL and every field: the same signature is the same callback.
    const seenKey = `webhook:seen:twilio:${createHash('sha256').update(String(header)).digest('hex')}`;
    if ((await this.redis.set(seenKey, '1', 'EX', TWILIO_REPLAY_WINDOW_SECONDS, 'NX')) !== 'OK') return;
    const errorCode = typeof params.ErrorCode === 'string' ? params.ErrorCode : undefined;
    const reason = errorCode ? `twilio ${status} ${errorCode}` : `twilio ${status}`;
    if (status === 'delivered') {
      await this.events.apply({ messageId, type: 'delivered', reason, provider: 'twilio' });
    } else if (status === 'undelivered' || status === 'failed') {
      const permanent = errorCode !== undefined && TWILIO_PERMANENT_CODES.has(errorCode);
      await this.events.apply({
        messageId,
        type: permanent ? 'bounce' : 'failed',
        permanent,
        reason,
        provider: 'twilio',
      });
    }
    // queued / sending / sent: the worker already recorded as much.
  }
}

function formParams(body: unknown): Record<string, string | string[]> | undefined {
  if (!body || typeof body !== 'object' || Buffer.isBuffer(body)) return undefined;
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') params[key] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) params[key] = value;
    else return undefined;
  }
  return params;
}
