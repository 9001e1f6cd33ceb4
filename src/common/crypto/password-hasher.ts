import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import * as argon2 from 'argon2';
import { authConfig } from '../../config/auth.config';
import { Semaphore } from './semaphore';

/**
 * argon2id with the OWASP parameters. argon2 runs on libuv's thread pool, off the event
 * loop; the semaphore bounds how many run at once so a flood of logins cannot take every
 * pool thread (DNS, file I/O and other requests share that pool).
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly gate: Semaphore;
  private dummyHash = '';

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    this.gate = new Semaphore(config.argon2Concurrency);
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash('dummy password for unknown accounts');
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() =>
      argon2.hash(password, {
        type: argon2.argon2id,
        memoryCost: this.config.argon2MemoryKiB,
        timeCost: this.config.argon2TimeCost,
        parallelism: this.config.argon2Parallelism,
      }),
    );
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return this.gate.run(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }

  /** Costs what a real verification costs, so an unknown account cannot be told apart by timing. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, {
      memoryCost: this.config.argon2MemoryKiB,
      timeCost: this.config.argon2TimeCost,
      parallelism: this.config.argon2Parallelism,
    });
  }
}
