import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { LiveSessionPublisher } from '../sessions/live-session-publisher.service';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { userUpdated } from './account-events';

/** A proven new contact point. */
export type ContactChange = { email: string } | { phone: string };

/**
 * Writes a proven email or phone onto the account, verified now, with its `user.updated`
 * event in one transaction. Another account holding the address (it took it meanwhile) is 409.
 */
@Injectable()
export class ContactWriter {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly liveSessions: LiveSessionPublisher,
    private readonly clock: Clock,
  ) {}

  /** Answers the account as it was before (its old address) and as it is now. */
  async apply(
    auth: AuthPrincipal,
    change: ContactChange,
    ctx: RequestContext,
  ): Promise<{ before: Pick<User, 'email' | 'phone'>; user: User }> {
    const now = this.clock.now();
    const field = 'email' in change ? 'email' : 'phone';
    try {
      const result = await this.em.fork().transactional(async (em) => {
        const user = await this.users.findById(auth.tenantId, auth.userId, em);
        if (!user) throw new AppException('UNAUTHORIZED');
        const before = { email: user.email, phone: user.phone };
        await this.users.updateContact(
          user,
          'email' in change
            ? { email: change.email, emailVerifiedAt: now }
            : { phone: change.phone, phoneVerifiedAt: now },
          em,
        );
        await this.audit.record(userUpdated(auth, [field]), ctx, em);
        return { before, user };
      });
      await this.liveSessions.forgetUserSnapshot(auth.userId);
      return result;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw AppException.saying(
          'CONFLICT',
          `Another account uses this ${field === 'email' ? 'email address' : 'phone number'}`,
        );
      }
      throw error;
    }
  }
}
