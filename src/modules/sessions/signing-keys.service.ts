import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import { CryptoService } from '../../common/crypto/crypto.service';
import { AuditService } from '../audit/audit.service';
import { DEFAULT_TENANT_ID } from '../tenants/tenant.entity';
import { authConfig } from '../../config/auth.config';
import { SIGNING_ALGORITHM, SigningKey } from './signing-key.entity';

export interface LoadedKey {
  kid: string;
  publicKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: string; use: string };
  /** PEM form, for libraries (jsonwebtoken) that want a string. */
  publicPem: string;
  retiredAt: Date | null;
}

export interface ActiveKey extends LoadedKey {
  privateKey: KeyObject;
}

/** Every process reloads on this period, so a rotation made elsewhere is picked up. */
const RELOAD_INTERVAL_MS = 30_000;
/** An unknown kid triggers a reload at most this often: hostile kids must not hammer PostgreSQL. */
const UNKNOWN_KID_RELOAD_MS = 5_000;

const contextOf = (kid: string) => `signing_key:${kid}`;

/**
 * The signing keys, cached in memory. PostgreSQL is the truth so that any number of API
 * processes sign and verify with the same keys.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private keys = new Map<string, LoadedKey>();
  private active: ActiveKey | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastForcedReloadMs = 0;
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureActiveKey();
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.logger.warn(`signing key reload failed: ${String(error)}`));
    }, RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async activeKey(): Promise<ActiveKey> {
    if (!this.active) await this.reload();
    if (!this.active) throw new Error('no active signing key');
    return this.active;
  }

  /** A verifying key for `kid`, reloading once (rate-limited) when it is not known yet. */
  async verificationKey(kid: string): Promise<LoadedKey | undefined> {
    const known = this.trusted(kid);
    if (known) return known;
    const now = this.clock.nowMs();
    if (now - this.lastForcedReloadMs < UNKNOWN_KID_RELOAD_MS) return undefined;
    this.lastForcedReloadMs = now;
    await this.reload();
    return this.trusted(kid);
  }

  /** The public keys of JWKS: every key whose tokens may still be alive. */
  publishedKeys(): LoadedKey['publicJwk'][] {
    return [...this.keys.values()].filter((key) => this.isTrusted(key)).map((key) => key.publicJwk);
  }

  /** New active key; the old one keeps verifying until its tokens have expired. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const generated = this.generate();
    const retired = await this.em.fork().transactional(async (em) => {
      const rows = await em.execute<{ kid: string }[]>(
        'update "signing_key" set "retired_at" = ? where "retired_at" is null and "alg" = ? returning "kid"',
        [this.clock.now(), SIGNING_ALGORITHM],
      );
      await em.insert(SigningKey, generated);
      const retired = rows.map((row) => row.kid);
      // Keys belong to the platform, not to a tenant: the event is filed under the default tenant.
      await this.audit.record(
        {
          type: 'signing_key.rotated',
          outcome: 'success',
          tenantId: DEFAULT_TENANT_ID,
          data: { kid: generated.kid, retired },
        },
        {},
        em,
      );
      return retired;
    });
    await this.reload();
    return { kid: generated.kid, retired };
  }

  async reload(): Promise<void> {
    // One reload at a time: concurrent unknown kids share it.
    this.reloading ??= this.load().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    const cutoff = new Date(this.clock.nowMs() - this.trustAfterRetirementMs());
    const rows = await this.em
      .fork()
      .find(
        SigningKey,
        { $or: [{ retiredAt: null }, { retiredAt: { $gt: cutoff } }] },
        { orderBy: { createdAt: 'asc' } },
      );
    const keys = new Map<string, LoadedKey>();
    let active: ActiveKey | null = null;
    for (const row of rows) {
      const publicKey = createPublicKey({ key: row.publicJwk, format: 'jwk' });
      const loaded: LoadedKey = {
        kid: row.kid,
        publicKey,
        publicJwk: { ...row.publicJwk, kid: row.kid, alg: row.alg, use: 'sig' },
        publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        retiredAt: row.retiredAt,
      };
      keys.set(row.kid, loaded);
      if (row.retiredAt === null) {
        const pem = this.crypto.decryptString(row.privateKey, contextOf(row.kid));
        active = { ...loaded, privateKey: createPrivateKey(pem) };
      }
    }
    this.keys = keys;
    if (active) this.active = active;
  }

  /** Creates the first key; a process that loses the race to another simply finds its key. */
  private async ensureActiveKey(): Promise<void> {
    const em = this.em.fork();
    if (await em.count(SigningKey, { retiredAt: null, alg: SIGNING_ALGORITHM })) return;
    const generated = this.generate();
    await em.execute(
      'insert into "signing_key" ("kid", "alg", "public_jwk", "private_key", "created_at") values (?, ?, ?, ?, ?) on conflict do nothing',
      [generated.kid, generated.alg, JSON.stringify(generated.publicJwk), generated.privateKey, generated.createdAt],
    );
  }

  private generate(): Pick<SigningKey, 'kid' | 'alg' | 'publicJwk' | 'privateKey' | 'createdAt'> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = randomUUID();
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return {
      kid,
      alg: SIGNING_ALGORITHM,
      publicJwk: publicKey.export({ format: 'jwk' }),
      privateKey: this.crypto.encrypt(pem, contextOf(kid)),
      createdAt: this.clock.now(),
    };
  }

  private trusted(kid: string): LoadedKey | undefined {
    const key = this.keys.get(kid);
    return key && this.isTrusted(key) ? key : undefined;
  }

  private isTrusted(key: LoadedKey): boolean {
    if (key.retiredAt === null) return true;
    return key.retiredAt.getTime() + this.trustAfterRetirementMs() > this.clock.nowMs();
  }

  /**
   * A retired key verifies for one access-token lifetime, plus the reload periods during
   * which a process that has not seen the rotation yet may still sign with it.
   */
  private trustAfterRetirementMs(): number {
    return this.config.accessTokenTtl * 1000 + 2 * RELOAD_INTERVAL_MS;
  }
}
