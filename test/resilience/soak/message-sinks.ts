import { extractCode, type SmtpTestServer } from '../../support/smtp-test-server';
import type { TwilioTestServer } from '../../support/twilio-test-server';

/** One message as a provider accepted it, reduced to what the soak checks. */
export interface SinkMessage {
  channel: 'email' | 'sms';
  /** Lower-cased email, or E.164 phone. */
  to: string;
  /** The delivery_message id the service sent with it (X-SecureAuth-Message-Id, or Twilio's StatusCallback). */
  messageId: string | null;
  /** The one-time code in it, null for a notice. */
  code: string | null;
  subject: string | null;
}

interface Waiter {
  count: number;
  deadline: number;
  resolve: (messages: SinkMessage[] | undefined) => void;
}

const NEW_SIGN_IN_SUBJECT = 'New sign-in to your account';

/**
 * The SMTP and Twilio test servers, indexed by destination as their records arrive. The
 * servers' own `waitFor…` helpers scan every record on every poll; with thousands of
 * messages and hundreds of waiting flows that scan would be the bottleneck of the run.
 */
export class MessageSinks {
  private readonly byDestination = new Map<string, SinkMessage[]>();
  private readonly waiters = new Map<string, Waiter[]>();
  private mailCursor = 0;
  private smsCursor = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly smtp: SmtpTestServer,
    private readonly twilio: TwilioTestServer,
  ) {
    this.timer = setInterval(() => this.scan(), 10);
  }

  /** Every message received so far. */
  all(): SinkMessage[] {
    this.scan();
    return [...this.byDestination.values()].flat();
  }

  /** Messages to `to` (any channel) so far. */
  to(to: string): SinkMessage[] {
    this.scan();
    return this.byDestination.get(to) ?? [];
  }

  /** Resolves with the first `count` code messages to `to`, or undefined at the deadline. */
  async waitForCodes(to: string, count: number, deadlineMs: number): Promise<SinkMessage[] | undefined> {
    const ready = this.codesTo(to);
    if (ready.length >= count) return ready;
    return new Promise((resolve) => {
      const list = this.waiters.get(to) ?? [];
      list.push({ count, deadline: Date.now() + deadlineMs, resolve });
      this.waiters.set(to, list);
    });
  }

  codesTo(to: string): SinkMessage[] {
    return this.to(to).filter((message) => message.code !== null);
  }

  newSignInNoticesTo(to: string): SinkMessage[] {
    return this.to(to).filter((message) => message.subject === NEW_SIGN_IN_SUBJECT);
  }

  close(): void {
    clearInterval(this.timer);
    for (const list of this.waiters.values()) for (const waiter of list) waiter.resolve(undefined);
    this.waiters.clear();
  }

  private scan(): void {
    const touched = new Set<string>();
    for (; this.mailCursor < this.smtp.mails.length; this.mailCursor++) {
      const mail = this.smtp.mails[this.mailCursor];
      const subject = mail.headers.subject ?? null;
      let code: string | null = null;
      if (subject !== NEW_SIGN_IN_SUBJECT) {
        try {
          code = extractCode(mail);
        } catch {
          code = null;
        }
      }
      for (const to of mail.to) {
        this.add({ channel: 'email', to, messageId: mail.headers['x-secureauth-message-id'] ?? null, code, subject });
        touched.add(to);
      }
    }
    for (; this.smsCursor < this.twilio.requests.length; this.smsCursor++) {
      const request = this.twilio.requests[this.smsCursor];
      // Answered synchronously unless held (this suite never holds); only accepted messages count.
      if (request.status === undefined) break;
      if (request.status >= 300) continue;
      const callback = this.twilio.form(request).get('StatusCallback');
      const messageId = callback ? new URL(callback).searchParams.get('messageId') : null;
      const code = /\b(\d{6})\b/.exec(request.text)?.[1] ?? null;
      this.add({ channel: 'sms', to: request.to, messageId, code, subject: null });
      touched.add(request.to);
    }
    const now = Date.now();
    for (const [to, list] of this.waiters) {
      const codes = touched.has(to) ? this.codesOf(to) : undefined;
      const remaining = list.filter((waiter) => {
        if (codes && codes.length >= waiter.count) waiter.resolve(codes);
        else if (now > waiter.deadline) waiter.resolve(undefined);
        else return true;
        return false;
      });
      if (remaining.length > 0) this.waiters.set(to, remaining);
      else this.waiters.delete(to);
    }
  }

  private codesOf(to: string): SinkMessage[] {
    return (this.byDestination.get(to) ?? []).filter((message) => message.code !== null);
  }

  private add(message: SinkMessage): void {
    const list = this.byDestination.get(message.to);
    if (list) list.push(message);
    else this.byDestination.set(message.to, [message]);
  }
}
