import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';
import { authConfig } from '../../config/auth.config';

/** AES-256-GCM output: `v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url parts. Never plaintext. */
export type Ciphertext = string & { readonly __brand: 'Ciphertext' };

const CIPHERTEXT_VERSION = 'v1';

@Injectable()
export class CryptoService {
  private readonly keys: Map<string, Buffer>;

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    this.keys = new Map([[config.encryptionKeyId, config.encryptionKey]]);
  }

  /** A URL-safe random secret of `bytes` bytes of entropy. */
  randomToken(bytes = 32): string {
    return randomBytes(bytes).toString('base64url');
  }

  /** `length` decimal digits, each uniform (no modulo bias). */
  randomDigits(length: number): string {
    let digits = '';
    for (let i = 0; i < length; i++) digits += randomInt(0, 10).toString();
    return digits;
  }

  sha256(value: string | Buffer): string {
    return createHash('sha256').update(value).digest('hex');
  }

  hmac(key: string | Buffer, value: string): string {
    return createHmac('sha256', key).update(value).digest('hex');
  }

  /** Constant-time comparison of two strings, whatever their lengths. */
  safeEqual(a: string, b: string): boolean {
    const left = createHash('sha256').update(a).digest();
    const right = createHash('sha256').update(b).digest();
    return timingSafeEqual(left, right) && a.length === b.length;
  }

  /** `context` is bound as additional data: a ciphertext moved to another row does not decrypt. */
  encrypt(plaintext: string | Buffer, context = ''): Ciphertext {
    const keyId = this.config.encryptionKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyFor(keyId), iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'));
    return [CIPHERTEXT_VERSION, keyId, ...parts].join('.') as Ciphertext;
  }

  decrypt(ciphertext: Ciphertext, context = ''): Buffer {
    const [version, keyId, iv, tag, body] = ciphertext.split('.');
    if (version !== CIPHERTEXT_VERSION || !keyId || !iv || !tag || body === undefined) {
      throw new Error('Malformed ciphertext');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.keyFor(keyId), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }

  decryptString(ciphertext: Ciphertext, context = ''): string {
    return this.decrypt(ciphertext, context).toString('utf8');
  }

  private keyFor(keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`Unknown encryption key id ${keyId}`);
    return key;
  }
}
