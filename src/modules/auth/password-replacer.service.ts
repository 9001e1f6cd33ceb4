import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import type { RequestContext } from '../../common/http/request-context';
import { type AuditInput, AuditService } from '../audit/audit.service';
import { SessionRevoker } from '../sessions/session-revoker.service';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';

export interface PasswordReplacement {
  /** Committed with the new hash: both or neither. */
  event: AuditInput;
  /** The sessions that end with the old password (all of the user's but `exceptSessionId`). */
  revoke: { reason: string; exceptSessionId?: string };
}

/** A new password (reset or change): the hash and its event in one transaction, then old sessions end. */
@Injectable()
export class PasswordReplacer {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
    private readonly clock: Clock,
  ) {}

  async replace(user: User, password: string, replacement: PasswordReplacement, ctx: RequestContext): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await this.em.transactional(async (em) => {
      await this.users.setPasswordHash(user, passwordHash, this.clock.now(), em);
      await this.audit.record(replacement.event, ctx, em);
    });
    const { reason, exceptSessionId } = replacement.revoke;
    await this.revoker.revoke({ tenantId: user.tenantId, userId: user.id, exceptId: exceptSessionId }, reason, ctx);
  }
}
