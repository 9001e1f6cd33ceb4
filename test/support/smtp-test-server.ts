import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { eventually } from './eventually';

/** One accepted email as the SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  headers: Record<string, string>;
  /** The body after the headers (MIME parts included; quoted-printable ones decoded). Header values are decoded too. */
  body: string;
  receivedAt: number;
}

export interface WaitOptions {
  deadlineMs?: number;
  /** Only mails received after this many mails to the same recipient (e.g. "the next one"). */
  skip?: number;
}

interface Rejection {
  code: number;
  stage: 'rcpt' | 'data';
}

/**
 * A real SMTP server (smtp-server) inside the test process, on a random local port. It
 * records every accepted mail, can refuse the next N messages with a given reply (451 =
 * temporary, 550 = permanent bounce), and can hold the next DATA without answering (so a
 * test can kill the sender mid-send).
 */
export class SmtpTestServer {
  readonly mails: ReceivedMail[] = [];
  /** The raw text of every DATA received, accepted or not (a held one whose sender died included). */
  readonly received: string[] = [];
  /** Every DATA that reached the server, accepted or not. */
  attempts = 0;
  private readonly rejections: Rejection[] = [];
  private holds: Array<{ reached: () => void; released: Promise<void> }> = [];

  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error) => void) => {
      const next = this.rejections[0];
      if (next?.stage === 'rcpt') {
        this.rejections.shift();
        this.attempts++;
        return callback(smtpError(next.code, `recipient ${address.address} refused by test`));
      }
      callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.onMessage(Buffer.concat(chunks).toString('utf8'), session).then(
          () => callback(),
          (error: Error) => callback(error),
        );
      });
    },
  });

  private constructor() {}

  static async start(): Promise<SmtpTestServer> {
    const self = new SmtpTestServer();
    await new Promise<void>((resolve, reject) => {
      self.server.once('error', reject);
      self.server.listen(0, '127.0.0.1', () => resolve());
    });
    self.server.on('error', () => undefined);
    self.port = (self.server as unknown as { server: { address(): AddressInfo } }).server.address().port;
    return self;
  }

  /** What to pass as SMTP_URL to the app. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `count` messages are refused with `code` (e.g. 451 temporary, 550 permanent). */
  failNext(count: number, code: number, stage: 'rcpt' | 'data' = 'rcpt'): void {
    for (let i = 0; i < count; i++) this.rejections.push({ code, stage });
  }

  /**
   * The next message is received but not answered until `release()`; `reached` resolves when
   * it arrives. Killing the sender meanwhile leaves it unaccepted (never recorded).
   */
  holdNext(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((done) => (release = done));
    const reachedPromise = new Promise<void>((done) => (reached = done));
    this.holds.push({ reached, released });
    return { reached: reachedPromise, release };
  }

  mailsTo(to: string): ReceivedMail[] {
    const address = to.toLowerCase();
    return this.mails.filter((mail) => mail.to.includes(address));
  }

  /** Polls for a mail to `to` until the deadline (default 10 s). */
  async waitForMail(to: string, { deadlineMs = 10_000, skip = 0 }: WaitOptions = {}): Promise<ReceivedMail> {
    return eventually(`a mail to ${to}`, () => this.mailsTo(to)[skip], { deadlineMs, intervalMs: 20 });
  }

  /**
   * The 6-digit code of the first mail to `to` that carries one, from the mail number `skip` on
   * (default: the first): security notices to the same address (a factor added, a password
   * changed) may arrive between two codes.
   */
  async waitForCode(to: string, { deadlineMs = 10_000, skip = 0 }: WaitOptions = {}): Promise<string> {
    const mail = await eventually(
      `a mail with a code to ${to}`,
      () =>
        this.mailsTo(to)
          .slice(skip)
          .find((candidate) => codeIn(candidate) !== null),
      { deadlineMs, intervalMs: 20 },
    );
    return extractCode(mail);
  }

  /** Waits for one more mail to `to` than there are now, and answers its code. */
  async nextCode(to: string, options: Omit<WaitOptions, 'skip'> = {}): Promise<string> {
    return this.waitForCode(to, { ...options, skip: this.mailsTo(to).length });
  }

  async close(): Promise<void> {
    for (const hold of this.holds) hold.reached();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async onMessage(raw: string, session: SMTPServerSession): Promise<void> {
    this.attempts++;
    this.received.push(raw);
    const rejection = this.rejections[0];
    if (rejection?.stage === 'data') {
      this.rejections.shift();
      throw smtpError(rejection.code, 'message refused by test');
    }
    const hold = this.holds.shift();
    if (hold) {
      hold.reached();
      await hold.released;
    }
    const split = raw.indexOf('\r\n\r\n');
    const headerText = split >= 0 ? raw.slice(0, split) : raw;
    const headers: Record<string, string> = {};
    for (const line of headerText.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
    }
    this.mails.push({
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
      raw,
      headers,
      body: split >= 0 ? decodeQuotedPrintableParts(headerText, raw.slice(split + 4)) : '',
      receivedAt: Date.now(),
    });
  }
}

/** The code sits alone on a line of the text part (see otp/otp-message.ts). */
export function extractCode(mail: ReceivedMail | string): string {
  const body = typeof mail === 'string' ? mail.slice(Math.max(0, mail.indexOf('\r\n\r\n'))) : mail.body;
  const code = codeIn(body);
  if (code === null) throw new Error('no 6-digit code in the mail');
  return code;
}

/** A one-time code stands alone on its line in every code mail. */
function codeIn(mail: string | ReceivedMail): string | null {
  const body = typeof mail === 'string' ? mail : mail.body;
  return /^\s*(\d{6})\s*$/m.exec(body)?.[1] ?? null;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`): how nodemailer writes a non-ASCII subject. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([\w-]+)\?([QqBb])\?([^?]*)\?=/g, (_whole, _charset: string, encoding: string, text: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : qpBytes(text.replace(/_/g, ' ')).toString('utf8'),
    );
}

/** `=XX` escapes to bytes (UTF-8 sequences span several), soft line breaks removed. */
function qpBytes(text: string): Buffer {
  const bytes: number[] = [];
  const plain = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < plain.length; i++) {
    if (plain[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(plain.slice(i + 1, i + 3))) {
      bytes.push(parseInt(plain.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(plain[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** Decodes the quoted-printable parts (the whole body, or each MIME part that says so). */
function decodeQuotedPrintableParts(headerText: string, body: string): string {
  const isQp = (headers: string) => /content-transfer-encoding:\s*quoted-printable/i.test(headers);
  if (isQp(headerText)) return qpBytes(body).toString('utf8');
  return body.replace(
    /((?:^|\r\n)--[^\r\n]+\r\n)([\s\S]*?\r\n\r\n)([\s\S]*?)(?=\r\n--)/g,
    (whole, boundary: string, partHeaders: string, content: string) =>
      isQp(partHeaders) ? boundary + partHeaders + qpBytes(content).toString('utf8') : whole,
  );
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}
