import type { DeliveryChannel } from '../delivery-destination';

/** A rendered message ready for a provider; it exists in memory only while a worker sends it. */
export interface OutgoingMessage {
  /** The delivery_message id: providers echo it back (header, callback URL) for webhooks. */
  id: string;
  /** Whose message it is: a tenant may order the providers of a channel (`smsProviders`). */
  tenantId?: string;
  channel: DeliveryChannel;
  /** Lower-cased email or E.164 phone. */
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface TransportResult {
  providerMessageId: string | null;
  /** Which provider took it, where a channel has several. */
  provider?: string;
}

/**
 * One provider of one channel. `send` resolves when the provider accepted the message and
 * throws a DeliveryError (temporary, bounce or rejected) otherwise.
 */
export interface DeliveryTransport {
  readonly channel: DeliveryChannel;
  /** Provider name, for logs and metrics. */
  readonly provider: string;
  send(message: OutgoingMessage): Promise<TransportResult>;
  close?(): Promise<void> | void;
}
