import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { CryptoService } from '../../common/crypto';
import { otpConfig } from '../../config/otp.config';
import { RecoveryCode } from './entities/recovery-code.entity';
import { generateRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-code';

export interface UserRef {
  id: string;
  tenantId: string;
}

@Injectable()
export class RecoveryCodesService {
  constructor(
    private readonly em: EntityManager,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
    @Inject(otpConfig.KEY) private readonly otp: ConfigType<typeof otpConfig>,
  ) {}

  /** Replaces every code of the user (old ones die with the same transaction); the plain codes are shown once. */
  async regenerate(user: UserRef, em: EntityManager = this.em): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    await em.nativeDelete(RecoveryCode, { userId: user.id });
    await em.insertMany(
      RecoveryCode,
      codes.map((code) => ({
        id: randomUUID(),
        tenantId: user.tenantId,
        userId: user.id,
        codeHash: this.hash(user.id, normalizeRecoveryCode(code)!),
        createdAt: this.clock.now(),
      })),
    );
    return codes;
  }

  /** Whether codes were ever issued and not withdrawn (used ones count), i.e. whether enrolling must issue them. */
  async hasAny(userId: string, em: EntityManager = this.em): Promise<boolean> {
    return (await em.count(RecoveryCode, { userId })) > 0;
  }

  remaining(userId: string, em: EntityManager = this.em): Promise<number> {
    return em.count(RecoveryCode, { userId, usedAt: null });
  }

  async removeAll(userId: string, em: EntityManager = this.em): Promise<void> {
    await em.nativeDelete(RecoveryCode, { userId });
  }

  /**
   * Spends one code. The conditional UPDATE (used_at IS NULL) is the single-use guarantee:
   * of two concurrent uses of one code, exactly one changes a row. Null when the code is not live.
   */
  async consume(user: UserRef, input: string): Promise<{ remaining: number } | null> {
    const normalized = normalizeRecoveryCode(input);
    if (!normalized) return null;
    const changed = await this.em.nativeUpdate(
      RecoveryCode,
      { userId: user.id, codeHash: this.hash(user.id, normalized), usedAt: null },
      { usedAt: this.clock.now() },
    );
    if (changed === 0) return null;
    return { remaining: await this.remaining(user.id) };
  }

  /** Keyed with the OTP pepper and bound to the user: a leaked table alone yields nothing to try. */
  private hash(userId: string, normalized: string): string {
    return this.crypto.hmac(this.otp.pepper, `recovery:${userId}:${normalized}`);
  }
}
