import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../../common/clock/clock';
import { AuditService } from '../../audit/audit.service';
import { User } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { USER_DATA_ERASERS, type UserDataEraser } from './account-purge.constants';

/** Accounts purged per sweep: a backlog is worked off over several runs, in short transactions. */
const SWEEP_BATCH = 200;

/**
 * Erases a deleted account once its grace period is over: email, phone, names, password hash,
 * settings, devices, sessions, second factors, delivery records, OIDC consents and grants, each by
 * the module that owns them (USER_DATA_ERASERS), in one transaction. The user id stays (the audit trail names it, now anonymous),
 * and so do the audit events.
 */
@Injectable()
export class AccountPurgeService {
  private readonly logger = new Logger(AccountPurgeService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    @Inject(USER_DATA_ERASERS) private readonly erasers: UserDataEraser[],
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** True when this call erased it; false when it is not (or no longer, or not yet) due. */
  async purge(tenantId: string, userId: string): Promise<boolean> {
    return this.em.fork().transactional(async (tx) => {
      const user = await tx.findOne(User, { id: userId, tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!user || user.status !== 'deleted' || !user.purgeAt || user.purgeAt > this.clock.now()) return false;
      for (const eraser of this.erasers) await eraser.eraseUser(tx, tenantId, userId);
      await this.users.erasePersonalData(user, tx);
      await this.audit.record(
        { type: 'account.purged', outcome: 'success', tenantId, subjectId: userId },
        undefined,
        tx,
      );
      return true;
    });
  }

  /** Every deleted account past its purge time (the sweep): how many were erased. */
  async purgeDue(): Promise<number> {
    let purged = 0;
    for (;;) {
      const due = await this.em
        .getConnection()
        .execute<Array<{ id: string; tenant_id: string }>>(
          `select "id", "tenant_id" from "app_user" where "purge_at" <= ? order by "purge_at" limit ?`,
          [this.clock.now(), SWEEP_BATCH],
        );
      for (const row of due) if (await this.purge(row.tenant_id, row.id)) purged += 1;
      if (due.length < SWEEP_BATCH) break;
    }
    if (purged > 0) this.logger.log(`purged ${purged} deleted accounts`);
    return purged;
  }
}
