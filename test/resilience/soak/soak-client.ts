import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { normalizePhone } from '../../../src/modules/otp/phone-number';
import type { MessageSinks } from './message-sinks';
import type { SoakHttp, SoakResponse } from './soak-http';

/** How often each variation happens inside a flow (per flow, independent draws). */
export const MIX = {
  /** Ask for the verification code again: a legitimate resend (new message, new code). */
  resend: 0.1,
  /** Present an email or phone code a second time after it was accepted. */
  codeReuse: 0.1,
  /** Present a refresh token that was already rotated: within its grace window, after it, or after its successor was used. */
  refreshReplay: 0.08,
  /** Two refreshes with one token at once, one per API process (two tabs). */
  raceRefresh: 0.05,
  /** Two verify-otp with one code at once, one per API process. */
  raceVerify: 0.05,
  /** Log in with a device id never seen before: the user is emailed a new sign-in notice. */
  newDevice: 0.1,
  /** Refresh a second time in a row. */
  secondRefresh: 0.3,
} as const;

/**
 * The deployment's REFRESH_REUSE_GRACE_SECONDS: long enough that a replay one think time after
 * its rotation is within it even on a loaded machine, short enough to wait out in a flow.
 */
export const SOAK_REFRESH_GRACE_SECONDS = 5;

/** How long a flow waits for a message before calling it late (the final accounting decides "lost"). */
const MESSAGE_DEADLINE_MS = 15_000;
/**
 * A client pauses 50-250 ms before each step, as an app or a person does between screens:
 * the soak holds 200 clients in flight for a minute; peak throughput is the bench's job, and
 * 200 clients without pauses only measure how long a 2-core machine's queues get.
 */
const THINK_MS = { min: 50, spread: 200 };
const MAX_DETAILS = 40;

/**
 * Everything the flows observed, to be checked once the run is over: what the API accepted
 * to send, every accepted code and refresh token, and every answer that was not the one
 * API.md prescribes.
 */
export class SoakLedger {
  readonly flows = new Map<string, number>();
  /** Code messages the API accepted to send, per destination (202 of register / resend / send-otp). */
  readonly expectedCodes = new Map<string, number>();
  /** New sign-in notices the API should have sent, per email. */
  readonly expectedNotices = new Map<string, number>();
  /** Every accepted single-use secret (`code:<destination>:<code>`, `refresh:<token>`) and how often it was accepted. */
  readonly accepted = new Map<string, number>();
  /** The successor each refresh token was rotated to: the only answer its grace window may give again. */
  private readonly successorOf = new Map<string, string>();
  /** Replays answered within the grace window with the successor the token already had. */
  graceAnswers = 0;
  /** Answers that were not the contract's, e.g. "refresh replay: expected 401 REFRESH_TOKEN_REUSED, got 200". */
  unexpected = 0;
  readonly unexpectedDetails: string[] = [];
  /** Steps answered with a 5xx or no answer at all (RequestStats lists those; not repeated in the details). */
  serverFailures = 0;
  /** Messages a flow waited for in vain (its flow was abandoned there). */
  late = 0;
  readonly lateDetails: string[] = [];

  count(flow: string): void {
    this.flows.set(flow, (this.flows.get(flow) ?? 0) + 1);
  }

  expectCode(destination: string): void {
    this.expectedCodes.set(destination, (this.expectedCodes.get(destination) ?? 0) + 1);
  }

  expectNotice(email: string): void {
    this.expectedNotices.set(email, (this.expectedNotices.get(email) ?? 0) + 1);
  }

  accept(secret: string): void {
    this.accepted.set(secret, (this.accepted.get(secret) ?? 0) + 1);
  }

  /**
   * A refresh answered 200. The first answer rotates the token; another one (a racing tab, a
   * replay within the grace window) is legitimate only when it gives the same successor: a
   * different one means the token was rotated twice, a secret accepted twice.
   */
  acceptRefresh(presented: string, successor: unknown): void {
    const first = this.successorOf.get(presented);
    if (first !== undefined && first === successor) {
      this.graceAnswers++;
      return;
    }
    if (first === undefined && typeof successor === 'string') this.successorOf.set(presented, successor);
    this.accept(`refresh:${presented}`);
  }

  /** Secrets accepted more than once. */
  doubleUses(): string[] {
    return [...this.accepted].filter(([, times]) => times > 1).map(([secret, times]) => `${secret} x${times}`);
  }

  /** Records a mismatch and answers whether the response was the expected one. */
  check(step: string, response: SoakResponse, status: number, code?: string): boolean {
    if (response.status === status && (code === undefined || response.code === code)) return true;
    if (response.status === 0 || response.status >= 500) {
      this.serverFailures++;
      return false;
    }
    this.unexpected++;
    if (this.unexpectedDetails.length < MAX_DETAILS) {
      const got = `${response.status} ${response.code ?? (typeof response.body === 'string' ? response.body : '')}`;
      this.unexpectedDetails.push(`${step}: expected ${status}${code ? ` ${code}` : ''}, got ${got.slice(0, 160)}`);
    }
    return false;
  }

  recordLate(what: string): void {
    this.late++;
    if (this.lateDetails.length < MAX_DETAILS) this.lateDetails.push(what);
  }
}

/** mulberry32: a seeded generator, so a failing mix can be replayed with SOAK_SEED. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fresh valid numbers for the whole run (tens of thousands of them): the shared
 * `uniquePhone` helper has 10 000 per file, fewer than a long soak can use.
 */
export class PhoneNumbers {
  private next = Math.floor(Math.random() * 4_000_000);

  take(): string {
    for (;;) {
      const index = this.next++ % 8_000_000;
      const exchange = 200 + Math.floor(index / 10_000);
      const line = String(index % 10_000).padStart(4, '0');
      const phone = normalizePhone(`+1415${exchange}${line}`);
      if (phone) return phone;
    }
  }
}

interface Session {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

export interface SoakContext {
  http: SoakHttp;
  sinks: MessageSinks;
  ledger: SoakLedger;
  phones: PhoneNumbers;
  /** Unique per run, so emails never collide with another run's. */
  runTag: string;
  /** Past this time (ms epoch) a flow still running is abandoned at its next request, so the run ends in time. */
  abandonAfter: number;
}

/** Thrown by a flow's next request once the run's grace period is over. */
class FlowAbandoned extends Error {}

/**
 * One simulated user: a loop of complete flows against randomly chosen API processes until
 * `shouldStop()` says so (checked between flows, so every started flow finishes).
 */
export class SoakClient {
  private flowNumber = 0;
  private readonly random: () => number;

  constructor(
    private readonly context: SoakContext,
    private readonly index: number,
    seed: number,
  ) {
    this.random = seededRandom(seed + index * 7919);
  }

  async run(shouldStop: () => boolean): Promise<void> {
    while (!shouldStop()) {
      this.flowNumber++;
      try {
        await this.flow();
      } catch (error) {
        if (!(error instanceof FlowAbandoned)) throw error;
        this.context.ledger.count('flow abandoned (time up)');
        return;
      }
    }
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private api(): number {
    return Math.floor(this.random() * this.context.http.processCount);
  }

  private async call(method: string, path: string, options: { body?: unknown; token?: string } = {}) {
    await sleep(THINK_MS.min + this.random() * THINK_MS.spread);
    return this.send(this.api(), method, path, options);
  }

  private send(target: number, method: string, path: string, options: { body?: unknown; token?: string }) {
    if (Date.now() > this.context.abandonAfter) throw new FlowAbandoned();
    return this.context.http.request(target % this.context.http.processCount, method, path, options);
  }

  /** register → email code → verify → login → refresh → me → OTP login by phone → logout, with the mix's detours. */
  private async flow(): Promise<void> {
    const { ledger, sinks } = this.context;
    const email = `soak-${this.context.runTag}-${this.index}-${this.flowNumber}@example.com`;
    const password = `soak horse battery ${randomUUID()}`;

    const register = await this.call('POST', '/api/auth/register', { body: { email, password } });
    if (!ledger.check('register', register, 202)) return;
    ledger.expectCode(email);
    let codes = await sinks.waitForCodes(email, 1, MESSAGE_DEADLINE_MS);
    if (!codes) return ledger.recordLate(`verification code to ${email}`);
    let code = codes[0].code!;

    if (this.chance(MIX.resend)) {
      const resend = await this.call('POST', '/api/auth/email/resend', { body: { email } });
      if (!ledger.check('resend', resend, 202)) return;
      ledger.expectCode(email);
      codes = await sinks.waitForCodes(email, 2, MESSAGE_DEADLINE_MS);
      if (!codes) return ledger.recordLate(`resent verification code to ${email}`);
      const replaced = code;
      code = codes[1].code!;
      if (replaced !== code) {
        // API.md: an older, replaced code is just a wrong code while the new one is live.
        const stale = await this.call('POST', '/api/auth/email/verify', { body: { email, otp: replaced } });
        if (stale.status === 200) ledger.accept(`code:${email}:${replaced}`);
        ledger.check('replaced email code', stale, 401, 'OTP_INVALID');
      }
      ledger.count('resend');
    }

    const verify = await this.call('POST', '/api/auth/email/verify', { body: { email, otp: code, client: 'native' } });
    if (verify.status === 200) ledger.accept(`code:${email}:${code}`);
    if (!ledger.check('email verify', verify, 200)) return;
    ledger.count('signup');

    if (this.chance(MIX.codeReuse)) {
      const again = await this.call('POST', '/api/auth/email/verify', { body: { email, otp: code, client: 'native' } });
      if (again.status === 200) ledger.accept(`code:${email}:${code}`);
      ledger.check('re-used email code', again, 401, 'OTP_EXPIRED');
      ledger.count('attack: re-used email code');
    }

    const newDevice = this.chance(MIX.newDevice);
    const device = newDevice ? { id: randomUUID(), name: 'Soak tablet', platform: 'android' } : undefined;
    const login = await this.call('POST', '/api/auth/login', { body: { email, password, client: 'native', device } });
    const signedIn = this.sessionOf('login', login);
    if (!signedIn) return;
    if (newDevice) {
      ledger.expectNotice(email);
      ledger.count('new-device notice');
    }
    ledger.count('login');
    let session = signedIn;

    let rotated = session.refreshToken;
    const refreshes = this.chance(MIX.secondRefresh) ? 2 : 1;
    for (let i = 0; i < refreshes; i++) {
      const next = await this.refresh(session);
      if (!next) return;
      rotated = session.refreshToken;
      session = next;
    }

    if (this.chance(MIX.refreshReplay)) {
      await this.replayRotated(rotated, session);
    } else if (this.chance(MIX.raceRefresh)) {
      await this.raceRefresh(session);
    } else {
      const me = await this.call('GET', '/api/auth/me', { token: session.accessToken });
      if (!ledger.check('me', me, 200)) return;
      if (me.body?.user?.email !== email || me.body?.session?.id !== session.sessionId) {
        ledger.check('me (whose session)', { ...me, status: -1 }, 200);
        return;
      }
      ledger.count('me');
      if (!(await this.logout(session, 'logout (email session)'))) return;
    }

    if (!(await this.phoneLogin())) return;
    ledger.count('flow completed');
  }

  private async refresh(session: Session): Promise<Session | undefined> {
    const { ledger } = this.context;
    const response = await this.call('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } });
    if (response.status === 200) ledger.acceptRefresh(session.refreshToken, response.body?.refreshToken);
    const next = this.sessionOf('refresh', response);
    if (!next) return undefined;
    if (next.refreshToken === session.refreshToken || next.sessionId !== session.sessionId) {
      ledger.check('refresh (a new token for the same session)', { ...response, status: -1 }, 200);
      return undefined;
    }
    ledger.count('refresh');
    return next;
  }

  /**
   * A rotated refresh token comes back. Within its grace window, while its successor is
   * unused, it is a second tab: answered that same successor. After the window, or once the
   * successor was used, it is a stolen token: refused, and the whole session dies with it.
   */
  private async replayRotated(rotated: string, current: Session): Promise<void> {
    const { ledger } = this.context;
    const variant = this.random();
    if (variant < 1 / 3) return this.replayWithinGrace(rotated, current);
    let live = current;
    if (variant < 2 / 3) {
      const next = await this.refresh(current);
      if (!next) return;
      live = next;
    } else {
      // The window is time in the service processes, whose clocks a test cannot move: let it pass.
      await sleep(SOAK_REFRESH_GRACE_SECONDS * 1000 + 1000);
    }
    const replay = await this.call('POST', '/api/auth/refresh', { body: { refreshToken: rotated } });
    // Past its grace window, any 200 is the token accepted a second time.
    if (replay.status === 200) ledger.accept(`refresh:${rotated}`);
    const refused = ledger.check('replayed refresh token', replay, 401, 'REFRESH_TOKEN_REUSED');
    // After a 5xx (reported as such) nobody knows whether the session was revoked: stop here.
    if (!refused && (replay.status === 0 || replay.status >= 500)) return;
    const survivor = await this.call('POST', '/api/auth/refresh', { body: { refreshToken: live.refreshToken } });
    if (survivor.status === 200) ledger.accept(`refresh:${live.refreshToken}`);
    ledger.check('refresh of a session revoked by a replay', survivor, 401, 'REFRESH_TOKEN_INVALID');
    const me = await this.call('GET', '/api/auth/me', { token: live.accessToken });
    ledger.check('me of a session revoked by a replay', me, 401, 'UNAUTHORIZED');
    ledger.count('attack: refresh replay');
    ledger.count(
      variant < 2 / 3
        ? 'attack: refresh replay after its successor was used'
        : 'attack: refresh replay after its grace',
    );
  }

  /** A second tab presents the token just rotated: it gets the same successor, and the session lives on. */
  private async replayWithinGrace(rotated: string, current: Session): Promise<void> {
    const { ledger } = this.context;
    const replay = await this.call('POST', '/api/auth/refresh', { body: { refreshToken: rotated } });
    if (replay.status === 200) ledger.acceptRefresh(rotated, replay.body?.refreshToken);
    const again = this.sessionOf('refresh replay within its grace', replay);
    if (!again) return;
    if (again.refreshToken !== current.refreshToken || again.sessionId !== current.sessionId) {
      ledger.check('refresh replay within its grace (the same successor)', { ...replay, status: -1 }, 200);
      return;
    }
    const me = await this.call('GET', '/api/auth/me', { token: again.accessToken });
    if (!ledger.check('me with the access token of a grace answer', me, 200)) return;
    ledger.count('refresh replay within its grace');
    await this.logout(current, 'logout (after a replay within its grace)');
  }

  /** The same refresh token on both processes at once (two tabs): one rotation, and both get its successor. */
  private async raceRefresh(session: Session): Promise<void> {
    const { ledger } = this.context;
    const body = { refreshToken: session.refreshToken };
    const answers = await Promise.all([0, 1].map((target) => this.send(target, 'POST', '/api/auth/refresh', { body })));
    for (const answer of answers) {
      if (answer.status === 200) ledger.acceptRefresh(session.refreshToken, answer.body?.refreshToken);
    }
    const [first, second] = answers.map((answer) => this.sessionOf('racing refresh (both answered)', answer));
    if (!first || !second) return;
    if (first.refreshToken !== second.refreshToken || first.sessionId !== session.sessionId) {
      ledger.check('racing refresh (one successor, the same session)', { ...answers[1], status: -1 }, 200);
      return;
    }
    const me = await this.call('GET', '/api/auth/me', { token: second.accessToken });
    if (!ledger.check('me with the access token of the other racer', me, 200)) return;
    const next = await this.refresh(first);
    if (!next) return;
    ledger.count('racing refresh (two tabs)');
  }

  /** send-otp by SMS → code from the Twilio sink → verify-otp (a new phone signs up) → logout. */
  private async phoneLogin(): Promise<boolean> {
    const { ledger, sinks } = this.context;
    const phone = this.context.phones.take();
    const sent = await this.call('POST', '/api/auth/send-otp', { body: { phone, channel: 'sms' } });
    if (!ledger.check('send-otp', sent, 202)) return false;
    ledger.expectCode(phone);
    const codes = await sinks.waitForCodes(phone, 1, MESSAGE_DEADLINE_MS);
    if (!codes) {
      ledger.recordLate(`login code to ${phone}`);
      return false;
    }
    const code = codes[0].code!;
    const body = { phone, otp: code, client: 'native' };

    let session: Session;
    if (this.chance(MIX.raceVerify)) {
      const answers = await Promise.all(
        [0, 1].map((target) => this.send(target, 'POST', '/api/auth/verify-otp', { body })),
      );
      for (const answer of answers) if (answer.status === 200) ledger.accept(`code:${phone}:${code}`);
      const [winner, loser] = answers[0].status === 200 ? answers : [answers[1], answers[0]];
      ledger.check('racing verify-otp (the other finds the code used up)', loser, 401, 'OTP_EXPIRED');
      const won = this.sessionOf('racing verify-otp (one wins)', winner);
      if (!won) return false;
      ledger.count('attack: racing code');
      session = won;
    } else {
      const verify = await this.call('POST', '/api/auth/verify-otp', { body });
      if (verify.status === 200) ledger.accept(`code:${phone}:${code}`);
      const verified = this.sessionOf('verify-otp', verify);
      if (!verified) return false;
      session = verified;
      if (this.chance(MIX.codeReuse)) {
        const again = await this.call('POST', '/api/auth/verify-otp', { body });
        if (again.status === 200) ledger.accept(`code:${phone}:${code}`);
        ledger.check('re-used phone code', again, 401, 'OTP_EXPIRED');
        ledger.count('attack: re-used phone code');
      }
    }
    ledger.count('otp login');
    return this.logout(session, 'logout (phone session)');
  }

  /** An AuthResult of a native client, or undefined (recorded as unexpected). */
  private sessionOf(step: string, response: SoakResponse): Session | undefined {
    if (!this.context.ledger.check(step, response, 200)) return undefined;
    if (isSession(response.body)) return response.body;
    this.context.ledger.check(`${step} (AuthResult with refreshToken)`, { ...response, status: -1 }, 200);
    return undefined;
  }

  private async logout(session: Session, step: string): Promise<boolean> {
    const { ledger } = this.context;
    const logout = await this.call('POST', '/api/auth/logout', { token: session.accessToken });
    if (!ledger.check(step, logout, 204)) return false;
    const me = await this.call('GET', '/api/auth/me', { token: session.accessToken });
    if (!ledger.check(`me after ${step}`, me, 401, 'UNAUTHORIZED')) return false;
    ledger.count('logout');
    return true;
  }
}

function isSession(body: unknown): body is Session {
  const candidate = body as Partial<Session> | null;
  return (
    typeof candidate?.accessToken === 'string' &&
    typeof candidate.refreshToken === 'string' &&
    typeof candidate.sessionId === 'string'
  );
}
