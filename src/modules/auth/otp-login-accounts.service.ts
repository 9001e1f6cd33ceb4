import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import type { OtpDestination } from '../otp/otp.types';
import { User } from '../users/user.entity';
import { type AddressHolder, UsersService } from '../users/users.service';

/** The accounts behind OTP login destinations: found, created on a phone's first login, proven. */
@Injectable()
export class OtpLoginAccounts {
  constructor(
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly em: EntityManager,
  ) {}

  /**
   * Who holds a destination: whether a code is really sent. A deleted account signs nobody in
   * (as unknown), yet keeps its phone until the purge, so that phone cannot become a new account.
   */
  holderOf(tenantId: string, destination: OtpDestination): Promise<AddressHolder | null> {
    return this.users.holderOf(
      tenantId,
      destination.channel === 'email' ? { email: destination.address } : { phone: destination.address },
    );
  }

  /** The code proves control of the phone. (An email signs in only once already proven: userOf.) */
  async markPhoneVerified(user: User, destination: OtpDestination): Promise<void> {
    if (destination.channel === 'email' || user.phoneVerifiedAt) return;
    user.phoneVerifiedAt = this.clock.now();
    await this.em.persist(user).flush();
  }

  /**
   * The account a code signs in. An email counts only once its owner proved it (as in `send`):
   * an address someone typed in and nobody verified is no account, so a code to it signs
   * nobody in and proves nothing about whoever set a password or factors on it.
   */
  async userOf(tenantId: string, destination: OtpDestination): Promise<User | null> {
    if (destination.channel !== 'email') return this.users.findByPhone(tenantId, destination.address);
    const user = await this.users.findByEmail(tenantId, destination.address);
    return user && this.users.isEmailVerified(user) ? user : null;
  }

  /**
   * Two first logins of one phone at once: the unique (tenant, phone) lets one insert win; the
   * other reads it. Null when a deleted account holds the phone (until its purge): no account.
   */
  async createPhoneUser(ctx: RequestContext, phone: string): Promise<User | null> {
    const em = this.em.fork();
    try {
      return await em.transactional(async (tx) => {
        const user = tx.create(User, { tenantId: ctx.tenantId, phone, phoneVerifiedAt: this.clock.now() });
        await tx.persist(user).flush();
        await this.audit.record(
          {
            type: 'user.registered',
            outcome: 'success',
            tenantId: ctx.tenantId,
            subjectId: user.id,
            data: { method: 'otp', channel: 'phone' },
          },
          ctx,
          tx,
        );
        return user;
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const existing = await this.users.findByPhone(ctx.tenantId, phone, 'any');
      if (!existing) throw error;
      return existing.status === 'deleted' ? null : existing;
    }
  }
}
