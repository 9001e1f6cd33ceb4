import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../audit/domain-events';
import { DevicesService } from '../devices/devices.service';
import { UsersService } from '../users/users.service';

/**
 * Emails the user about a sign-in from a new place once it committed (`login.new_place` with
 * action `notice`; a step-up's challenge is its own notice).
 */
@Injectable()
export class NewPlaceNoticeListener implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
  ) {}

  onModuleInit(): void {
    this.events.on('login.new_place', async ({ event, ctx }) => {
      const data = event.data as { action?: string; countryCode?: string; city?: string | null } | undefined;
      if (data?.action !== 'notice' || !data.countryCode || !event.subjectId) return;
      const user = await this.users.findById(event.tenantId, event.subjectId);
      if (user) await this.devices.notifyNewPlace(user, { countryCode: data.countryCode, city: data.city }, ctx ?? {});
    });
  }
}
