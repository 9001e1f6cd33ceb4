import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { MESSAGE_ID_HEADER } from '../delivery.constants';
import { classifySmtpError } from '../delivery.errors';
import type { DeliveryTransport, OutgoingMessage, TransportResult } from './delivery-transport';

/** Email over real SMTP (nodemailer), one pooled connection set per process. */
export class SmtpTransport implements DeliveryTransport {
  readonly channel = 'email' as const;
  readonly provider = 'smtp';
  private readonly transporter: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    // The timeouts are transport options: nodemailer 10 reads a second argument as message defaults.
    this.transporter = createTransport({
      url: smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(message: OutgoingMessage): Promise<TransportResult> {
    try {
      const info = await this.transporter.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: { [MESSAGE_ID_HEADER]: message.id },
      });
      return { providerMessageId: info.messageId ? info.messageId.slice(0, 128) : null };
    } catch (error) {
      throw classifySmtpError(error);
    }
  }

  close(): void {
    this.transporter.close();
  }
}
