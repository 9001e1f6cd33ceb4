import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import type { DeviceSummaryDto } from '../devices/dto/device.dto';
import type { UserViewDto } from '../users/dto/user-view.dto';
import type { Role, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { type LiveSession, LiveSessionStore } from './live-session.store';
import { type SessionFacts, SessionRepository } from './session.repository';

/** Keeps the live records in Redis (what every request checks) in step with PostgreSQL. */
@Injectable()
export class LiveSessionPublisher {
  constructor(
    private readonly em: EntityManager,
    private readonly store: LiveSessionStore,
    private readonly repository: SessionRepository,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  /**
   * Writes the live record and the user view (one pipeline) and answers the view. A
   * revocation that committed meanwhile (its delete may have run before our write) is
   * honoured instead of being resurrected: its tombstone refuses the write, and a publish too
   * slow for the tombstone to prove it re-reads the row as before.
   */
  async publish(
    session: SessionFacts,
    user: User,
    device: DeviceSummaryDto | null,
    sinceMonoMs: number,
  ): Promise<UserViewDto> {
    const view = this.users.toView(user);
    const live: LiveSession = {
      sessionId: session.id,
      userId: session.userId,
      tenantId: session.tenantId,
      roles: user.roles,
      amr: session.amr,
      aal: session.aal,
      authTime: Math.floor(session.authTime.getTime() / 1000),
      deviceId: session.deviceId,
      device,
      createdAt: session.createdAt.toISOString(),
      lastSeenAt: session.lastSeenAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      idleExpiresAt: session.idleExpiresAt.toISOString(),
    };
    const outcome = await this.store.publish(live, view, this.clock.nowMs(), sinceMonoMs);
    // Only a publish too slow for the tombstone to prove anything pays for the re-read.
    if (outcome === 'unsure' && (await this.repository.isRevoked(this.em.fork(), session.id))) {
      await this.store.remove([session.id]);
    }
    return view;
  }

  /** New roles on every live record of the user: a demotion is seen on the very next request. */
  async updateRoles(tenantId: string, userId: string, roles: Role[]): Promise<void> {
    const live = await this.repository.findLive(this.em.fork(), tenantId, userId, this.clock.now());
    await this.store.updateRoles(
      live.map((session) => session.id),
      roles,
    );
    await this.store.forgetUserView(userId);
  }

  /** Call after changing anything GET /me shows about the user. */
  async forgetUserSnapshot(userId: string): Promise<void> {
    await this.store.forgetUserView(userId);
  }
}
