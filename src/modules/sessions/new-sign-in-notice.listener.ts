import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../audit/domain-events';
import { DevicesService } from '../devices/devices.service';
import { UsersService } from '../users/users.service';

/**
 * Emails the user about a sign-in from a device seen for the first time, once that sign-in
 * committed (device.new is audited with its session). DevicesService decides whether the
 * device is news (not the account's first one) and never fails the sign-in over it.
 */
@Injectable()
export class NewSignInNoticeListener implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly users: UsersService,
    private readonly devices: DevicesService,
  ) {}

  onModuleInit(): void {
    this.events.on('device.new', async ({ event, ctx }) => {
      if (!event.subjectId || !event.deviceId) return;
      const user = await this.users.findById(event.tenantId, event.subjectId);
      if (!user?.email || !user.emailVerifiedAt) return;
      const device = await this.devices.findOwn(event.tenantId, user.id, event.deviceId);
      await this.devices.notifyNewSignIn(user, device, {
        requestId: ctx?.requestId ?? '',
        ip: ctx?.ip ?? '',
        userAgent: ctx?.userAgent ?? null,
        tenantId: event.tenantId,
      });
    });
  }
}
