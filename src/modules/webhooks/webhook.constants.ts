export const WEBHOOK_QUEUE = 'webhooks';
/** One delivery's attempts (data: WebhookJobData). */
export const DELIVER_WEBHOOK_JOB = 'deliver';
/** The sweep that queues deliveries whose job never reached the queue (the process died in between). */
export const REQUEUE_STRANDED_WEBHOOKS_JOB = 'requeue-stranded';
export const WEBHOOK_BACKOFF_TYPE = 'webhook';

export interface WebhookJobData {
  deliveryId: string;
}
