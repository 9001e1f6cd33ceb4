/**
 * Reads and validates one environment variable at a time. Every failure names the
 * variable so that a bad deployment stops at start with a message an operator can act on.
 */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Development defaults in use; logged once at start so nobody ships them unknowingly. */
export const configWarnings = new Set<string>();

export const isProduction = (env: Env = process.env): boolean => env.NODE_ENV === 'production';

export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  get production(): boolean {
    return isProduction(this.env);
  }

  string(name: string, fallback?: string): string {
    const value = this.env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback === undefined) throw new ConfigError(name, 'is required');
    return fallback;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name) ?? fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    }
    return raw as T;
  }

  url(name: string, fallback: string): string {
    const raw = this.string(name, fallback);
    try {
      new URL(raw);
    } catch {
      throw new ConfigError(name, `must be a URL, got "${raw}"`);
    }
    return raw.replace(/\/+$/, '');
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  /**
   * A secret with a development default. Production refuses the default (and a missing
   * value) so that a forgotten variable can never ship a key that is public in this repo.
   */
  secret(name: string, developmentDefault: string, { minLength = 16 } = {}): string {
    const raw = this.optional(name);
    if (raw === undefined || raw === developmentDefault) {
      if (this.production) throw new ConfigError(name, 'must be set to a non-development value in production');
      configWarnings.add(`${name} uses its development default; set it before going to production`);
      return developmentDefault;
    }
    if (raw.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
    return raw;
  }

  /** A 32-byte key given as base64; same production rule as `secret`. */
  key32(name: string, developmentDefault: string): Buffer {
    const raw = this.secret(name, developmentDefault, { minLength: 1 });
    const key = Buffer.from(raw, 'base64');
    if (key.length !== 32) throw new ConfigError(name, 'must be 32 bytes encoded as base64');
    return key;
  }
}
