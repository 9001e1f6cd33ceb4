import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { MetricsService } from '../../common/metrics/metrics.service';
import { breachedPasswordConfig } from '../../config/breached-password.config';
import { AuditService } from '../audit/audit.service';
import type { PasswordField } from './password-policy';

export type BreachVerdict = 'clean' | 'breached' | 'unavailable';

/** Where a new password is being set, for the audit event. */
export type PasswordFlow = 'register' | 'reset' | 'change';

export interface PasswordScreening {
  password: string;
  field: PasswordField;
  flow: PasswordFlow;
  ctx: RequestContext;
  /** The account, when the flow knows it before the check (change); never for register. */
  subjectId?: string | null;
}

/** A range answer is ~40 kB (~1000 lines, padded); anything far larger is not the range API. */
const MAX_RANGE_BYTES = 1024 * 1024;

/**
 * Screens new passwords against the Pwned Passwords corpus by k-anonymity: only the first 5
 * hex characters of the password's SHA-1 leave the service, the range API answers every
 * suffix under that prefix (`SUFFIX:COUNT` lines, padded with zero-count decoys when asked,
 * so the answer's size says nothing either) and the match happens here. An unreachable or
 * slow API lets the password through: the check protects users, it must never lock them out.
 */
@Injectable()
export class BreachedPasswordsService {
  private readonly logger = new Logger(BreachedPasswordsService.name);

  constructor(
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    @Inject(breachedPasswordConfig.KEY) private readonly config: ConfigType<typeof breachedPasswordConfig>,
  ) {}

  /**
   * `block`: 400 PASSWORD_BREACHED for a breached password; `warn`: a `password.breached`
   * event and the password is accepted; `off`: nothing. Both outcomes are counted.
   */
  async screen(input: PasswordScreening): Promise<void> {
    if (this.config.mode === 'off') return;
    const verdict = await this.verdictOf(input.password);
    const refuse = verdict === 'breached' && this.config.mode === 'block';
    this.metrics.breachedPasswordChecks.labels(verdict, refuse ? 'refused' : 'accepted').inc();
    if (verdict !== 'breached') return;
    await this.audit.record(
      {
        type: 'password.breached',
        outcome: refuse ? 'failure' : 'success',
        tenantId: input.ctx.tenantId,
        subjectId: input.subjectId ?? null,
        data: { flow: input.flow, action: refuse ? 'refused' : 'accepted' },
      },
      input.ctx,
    );
    if (refuse) {
      throw new AppException('PASSWORD_BREACHED', [
        { field: input.field, message: 'appears in a known data breach; choose another password' },
      ]);
    }
  }

  async verdictOf(password: string): Promise<BreachVerdict> {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = digest.slice(0, 5);
    const suffix = digest.slice(5);
    let range: string;
    try {
      range = await this.fetchRange(prefix);
    } catch (error) {
      // Never the prefix: with the breach corpus it narrows the password down.
      this.logger.warn({ msg: 'breached-password check unavailable', error: describe(error) });
      return 'unavailable';
    }
    for (const line of range.split('\n')) {
      const separator = line.indexOf(':');
      if (separator < 0 || line.slice(0, separator).trim().toUpperCase() !== suffix) continue;
      // Padding lines carry a count of 0: decoys, not breaches.
      if (Number.parseInt(line.slice(separator + 1).trim(), 10) > 0) return 'breached';
    }
    return 'clean';
  }

  private async fetchRange(prefix: string): Promise<string> {
    const response = await fetch(`${this.config.rangeUrl}${prefix}`, {
      headers: { 'Add-Padding': 'true', 'User-Agent': 'SecureAuth' },
      redirect: 'error',
      // One deadline for connecting, the answer and its body: a slow API counts as unavailable.
      signal: AbortSignal.timeout(this.config.timeoutMs),
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(`range API answered ${response.status}`);
    }
    // Node's fetch types leave the chunk type open; the body is bytes.
    const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_RANGE_BYTES) {
        await reader.cancel();
        throw new Error('range answer too large');
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
