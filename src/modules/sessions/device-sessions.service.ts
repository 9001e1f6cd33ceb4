import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { SessionRepository } from './session.repository';

/** The session facts a device listing shows, for the modules above both (devices never read sessions). */
@Injectable()
export class DeviceSessionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: SessionRepository,
    private readonly clock: Clock,
  ) {}

  /** Live sessions per device id of the user; a device without one is absent. */
  liveCountsByDevice(tenantId: string, userId: string): Promise<Map<string, number>> {
    return this.repository.countLiveByDevice(this.em, tenantId, userId, this.clock.now());
  }
}
