import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { toDataURL } from 'qrcode';
import { Clock } from '../../common/clock/clock';
import { CryptoService, type Ciphertext } from '../../common/crypto';
import { AppException } from '../../common/errors';
import { webauthnConfig } from '../../config/webauthn.config';
import type { User } from '../users/user.entity';
import { UserMfa } from './entities/user-mfa.entity';
import { generateTotpSecret, matchTotpStep, otpauthUrl, type TotpSecretPlain } from './totp';

export interface TotpSetup {
  secret: TotpSecretPlain;
  otpauthUrl: string;
  qrCode: string;
}

@Injectable()
export class TotpService {
  constructor(
    private readonly em: EntityManager,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
    @Inject(webauthnConfig.KEY) private readonly webauthn: ConfigType<typeof webauthnConfig>,
  ) {}

  /** Stores a new pending secret (replacing an unconfirmed one); CONFLICT while TOTP is already on. */
  async setup(user: User): Promise<TotpSetup> {
    const row = await this.em.findOne(UserMfa, { userId: user.id });
    if (row?.totpConfirmedAt) throw new AppException('CONFLICT');
    const secret = generateTotpSecret();
    const encrypted = this.encrypt(user.id, secret);
    await this.em.upsert(
      UserMfa,
      { userId: user.id, tenantId: user.tenantId, totpSecret: encrypted, totpConfirmedAt: null, totpLastStep: null },
      {
        onConflictFields: ['userId'],
        onConflictAction: 'merge',
        onConflictMergeFields: ['totpSecret', 'totpLastStep'],
      },
    );
    const url = otpauthUrl(secret, this.webauthn.rpName || 'SecureAuth', user.email ?? user.phone ?? user.id);
    return { secret, otpauthUrl: url, qrCode: await toDataURL(url) };
  }

  /**
   * Accepts a code once: the conditional UPDATE moves `totp_last_step` forward only, so a
   * replayed code (same step, or an older one) changes no row, even when two requests race.
   * `confirmed` says whether the secret must already be active (login, disable) or pending (confirm).
   */
  async acceptCode(userId: string, code: string, confirmed: boolean, em: EntityManager = this.em): Promise<boolean> {
    const row = await em.findOne(UserMfa, { userId }, { refresh: true });
    if (!row?.totpSecret || (row.totpConfirmedAt !== null) !== confirmed) return false;
    const step = matchTotpStep(this.decrypt(userId, row.totpSecret), code, this.clock.nowMs());
    if (step === null) return false;
    const changed = await em.nativeUpdate(
      UserMfa,
      { userId, totpSecret: row.totpSecret, $or: [{ totpLastStep: null }, { totpLastStep: { $lt: step } }] },
      { totpLastStep: step },
    );
    return changed === 1;
  }

  async isEnabled(userId: string, em: EntityManager = this.em): Promise<boolean> {
    return (await em.count(UserMfa, { userId, totpConfirmedAt: { $ne: null } })) > 0;
  }

  private encrypt(userId: string, secret: TotpSecretPlain): Ciphertext {
    return this.crypto.encrypt(secret, `totp:${userId}`);
  }

  /** Exposed for the at-rest test: the stored value must decrypt back, bound to its user. */
  decrypt(userId: string, ciphertext: Ciphertext): TotpSecretPlain {
    return this.crypto.decryptString(ciphertext, `totp:${userId}`) as TotpSecretPlain;
  }
}
