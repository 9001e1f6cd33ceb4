import { Logger } from '@nestjs/common';
import type { DeliveryChannel } from '../delivery-destination';
import type { DeliveryTransport, OutgoingMessage, TransportResult } from './delivery-transport';

/**
 * Development only (refused in production by the config): prints the whole message, code
 * included, as one JSON log line at info level instead of sending it. The README tells
 * developers to read their code from this line.
 */
export class LogTransport implements DeliveryTransport {
  readonly provider = 'log';
  private readonly logger = new Logger('DeliveryLogTransport');

  constructor(readonly channel: DeliveryChannel) {}

  async send(message: OutgoingMessage): Promise<TransportResult> {
    this.logger.log({
      msg: `message not sent (log transport): ${message.channel} to ${message.to}, read the code in "message"`,
      messageId: message.id,
      channel: message.channel,
      to: message.to,
      subject: message.subject,
      message: message.text,
    });
    return { providerMessageId: `log-${message.id}` };
  }
}
