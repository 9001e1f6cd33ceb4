import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bullmq';
import type { AuthPrincipal } from '../../../common/auth/auth-principal';
import { Clock } from '../../../common/clock/clock';
import { AppException } from '../../../common/errors';
import type { RequestContext } from '../../../common/http/request-context';
import { accountConfig } from '../../../config/account.config';
import { AuditService } from '../../audit/audit.service';
import { SessionRevoker } from '../../sessions/session-revoker.service';
import { User } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { ACCOUNT_PURGE_QUEUE, PURGE_ACCOUNT_JOB, type PurgeAccountJobData } from './account-purge.constants';

const DAY_MS = 86_400_000;

/** The reason on every session the deletion ends. */
export const REASON_ACCOUNT_DELETED = 'account_deleted';

/**
 * DELETE /api/account: the owner deletes their account. At once: sign-in refuses it
 * (ACCOUNT_DELETED) and every session ends; at `purgeAt` the worker erases its personal data
 * (AccountPurgeService). Until then an admin can still see it, nobody can change it.
 */
@Injectable()
export class AccountDeletionService {
  private readonly logger = new Logger(AccountDeletionService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @InjectQueue(ACCOUNT_PURGE_QUEUE) private readonly purges: Queue<PurgeAccountJobData>,
    @Inject(accountConfig.KEY) private readonly config: ConfigType<typeof accountConfig>,
  ) {}

  async delete(auth: AuthPrincipal, ctx: RequestContext): Promise<{ status: 'deletion_scheduled'; purgeAt: string }> {
    const purgeAt = new Date(this.clock.now().getTime() + this.config.deletionGraceDays * DAY_MS);
    // The row first (sign-in refuses it from the commit on), its sessions in the same transaction.
    const revoked = await this.em.fork().transactional(async (tx) => {
      const user = await tx.findOne(
        User,
        { id: auth.userId, tenantId: auth.tenantId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      // Deleted by a concurrent request of the same session: its session is gone as well.
      if (!user || user.status === 'deleted') throw new AppException('UNAUTHORIZED');
      await this.users.markDeleted(user, purgeAt, tx);
      await this.audit.record(
        {
          type: 'account.deletion_scheduled',
          outcome: 'success',
          tenantId: auth.tenantId,
          subjectId: auth.userId,
          sessionId: auth.sessionId,
          data: { purgeAt: purgeAt.toISOString() },
        },
        ctx,
        tx,
      );
      return this.revoker.revokeIn(tx, { tenantId: auth.tenantId, userId: auth.userId }, REASON_ACCOUNT_DELETED, ctx);
    });
    await this.revoker.forgetLive(revoked.map((session) => session.id));
    await this.schedulePurge(auth, purgeAt);
    return { status: 'deletion_scheduled', purgeAt: purgeAt.toISOString() };
  }

  /**
   * The account's own purge job, at `purgeAt`. The deletion has committed by now: a job that
   * cannot be queued does not undo or fail it, the worker's sweep finds the account by its purge_at.
   */
  private async schedulePurge(auth: AuthPrincipal, purgeAt: Date): Promise<void> {
    try {
      await this.purges.add(
        PURGE_ACCOUNT_JOB,
        { tenantId: auth.tenantId, userId: auth.userId },
        {
          jobId: `purge-${auth.userId}`,
          delay: Math.max(0, purgeAt.getTime() - this.clock.now().getTime()),
          attempts: 5,
          backoff: { type: 'exponential', delay: 60_000 },
          removeOnComplete: true,
          removeOnFail: 100,
        },
      );
    } catch (error) {
      this.logger.warn({
        msg: 'purge job not queued; the sweep will purge the account',
        userId: auth.userId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
