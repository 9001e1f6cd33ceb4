import { ApiProperty } from '@nestjs/swagger';
import { TenantSettingsDto } from '../../tenants/tenant-settings.dto';

/** GET/PATCH /api/admin/tenant. */
export class TenantViewDto {
  @ApiProperty({ example: 'acme' })
  id!: string;

  @ApiProperty({ example: 'Acme Corp' })
  name!: string;

  @ApiProperty({ description: 'A disabled tenant refuses every request (TENANT_UNKNOWN)' })
  active!: boolean;

  @ApiProperty({ type: TenantSettingsDto, description: 'Only the keys set; absent keys take the service defaults' })
  settings!: TenantSettingsDto;
}
