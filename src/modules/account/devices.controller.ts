import { Body, Controller, Delete, Get, HttpCode, Param, Patch } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { DeviceManagementService } from './device-management.service';
import { DeviceResponseDto, UpdateDeviceDto } from '../devices/dto/device.dto';

@ApiTags('devices')
@Controller('api/devices')
export class DevicesController {
  constructor(private readonly devices: DeviceManagementService) {}

  @Get()
  @Authenticated()
  @Operation(
    'listDevices',
    "The caller's devices with their live session counts",
    'At most MAX_DEVICES_PER_USER (default 50): a sign-in from a new device beyond it forgets the least recently seen device and ends its sessions.',
  )
  @ApiOkResponse({ description: "The caller's devices, most recently seen first", type: [DeviceResponseDto] })
  listDevices(@CurrentSession() auth: AuthPrincipal): Promise<DeviceResponseDto[]> {
    return this.devices.list(auth);
  }

  @Patch(':id')
  @Authenticated()
  @Operation(
    'updateDevice',
    'Rename a device or mark it trusted',
    '`name` is how the device is listed; `trusted` marks a device the user recognises (it is not a second factor). At least one of the two.',
  )
  @ApiOkResponse({ description: 'The device as it is now', type: DeviceResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND')
  updateDevice(
    @CurrentSession() auth: AuthPrincipal,
    @Param('id') id: string,
    @Body() body: UpdateDeviceDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<DeviceResponseDto> {
    return this.devices.update(auth, id, body, ctx);
  }

  @Delete(':id')
  @Authenticated()
  @HttpCode(204)
  @Operation(
    'removeDevice',
    'Forget a device and revoke every session started from it',
    'Every session started from the device is revoked at once (its access tokens stop working) and the device is removed from the list. A device of another user answers 404.',
  )
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors('FORBIDDEN', 'NOT_FOUND')
  removeDevice(
    @CurrentSession() auth: AuthPrincipal,
    @Param('id') id: string,
    @ReqCtx() ctx: RequestContext,
  ): Promise<void> {
    return this.devices.remove(auth, id, ctx);
  }
}
