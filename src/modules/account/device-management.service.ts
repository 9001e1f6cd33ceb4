import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { DevicesService } from '../devices/devices.service';
import type { DeviceResponseDto, UpdateDeviceDto } from '../devices/dto/device.dto';
import { DeviceSessionsService } from '../sessions/device-sessions.service';
import { SessionRevoker } from '../sessions/session-revoker.service';

/** The caller managing their own devices: the device records, with what sessions know of them. */
@Injectable()
export class DeviceManagementService {
  constructor(
    private readonly devices: DevicesService,
    private readonly deviceSessions: DeviceSessionsService,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
  ) {}

  async list(auth: AuthPrincipal): Promise<DeviceResponseDto[]> {
    const liveSessions = await this.deviceSessions.liveCountsByDevice(auth.tenantId, auth.userId);
    return this.devices.listFor(auth.tenantId, auth.userId, liveSessions);
  }

  async update(
    auth: AuthPrincipal,
    id: string,
    input: UpdateDeviceDto,
    ctx: RequestContext,
  ): Promise<DeviceResponseDto> {
    const device = await this.devices.update(auth.tenantId, auth.userId, id, input, ctx);
    const liveSessions = await this.deviceSessions.liveCountsByDevice(auth.tenantId, auth.userId);
    return this.devices.viewOf(device, liveSessions.get(device.id) ?? 0);
  }

  /** Revokes first: a device that is gone must not leave a live session behind. */
  async remove(auth: AuthPrincipal, id: string, ctx: RequestContext): Promise<void> {
    const device = await this.devices.findOwn(auth.tenantId, auth.userId, id);
    const revoked = await this.revoker.revoke(
      { tenantId: auth.tenantId, userId: auth.userId, deviceId: device.id },
      'device_removed',
      ctx,
    );
    await this.devices.delete(device);
    await this.audit.record(
      {
        type: 'device.removed',
        outcome: 'success',
        tenantId: auth.tenantId,
        subjectId: auth.userId,
        sessionId: auth.sessionId,
        deviceId: device.id,
        data: { name: device.name, revokedSessions: revoked },
      },
      ctx,
    );
  }
}
