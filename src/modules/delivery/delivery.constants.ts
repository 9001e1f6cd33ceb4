/** The BullMQ queue of outgoing messages, its job, and the sweep that re-queues stranded rows. */
export const DELIVERY_QUEUE = 'delivery';
export const SEND_MESSAGE_JOB = 'send-message';
export const REQUEUE_STRANDED_JOB = 'requeue-stranded';
/** Delayed by DELIVERY_FALLBACK_AFTER_MS after a message with a fallback channel: not accepted by then, the fallback goes. */
export const FALLBACK_CHECK_JOB = 'fallback-check';
/**
 * Name of the custom backoff strategy registered on the worker (see delivery-backoff.ts). Every
 * queued job stores it: a new name would leave the retries of jobs in flight across a deploy
 * without a strategy, hence the historical name.
 */
export const DELIVERY_BACKOFF_TYPE = 'otp-lifetime';

/** What a send job carries: an id, never the code or the address. */
export interface SendMessageJobData {
  messageId: string;
}

/** The sweep's scheduled jobs carry nothing. */
export type DeliveryJobData = SendMessageJobData | Record<string, never>;

export const WEBHOOK_BASE_PATH = '/api/delivery/webhooks';
export const GENERIC_WEBHOOK_PATH = `${WEBHOOK_BASE_PATH}/generic`;
export const TWILIO_WEBHOOK_PATH = `${WEBHOOK_BASE_PATH}/twilio`;
/** Header every email carries so that bounce webhooks can name the message. */
export const MESSAGE_ID_HEADER = 'X-SecureAuth-Message-Id';
