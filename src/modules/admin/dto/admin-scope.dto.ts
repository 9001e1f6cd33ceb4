import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { PageQueryDto } from '../../../common/http/page-query.dto';
import { IsOptional, Matches } from 'class-validator';

export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `?tenantId=`: the only cross-tenant switch, honoured for platform admins only. */
export class AdminTenantQueryDto {
  @ApiPropertyOptional({
    example: 'acme',
    description:
      'Platform admins only: the tenant to act on (absent: every tenant). Other admins act on their own tenant; ' +
      'naming another one gives 403 FORBIDDEN.',
  })
  @IsOptional()
  @Matches(TENANT_ID_PATTERN, { message: 'must be a tenant id' })
  tenantId?: string;
}

/** A page of a list, within the admin's tenant reach. */
export class AdminPageQueryDto extends IntersectionType(AdminTenantQueryDto, PageQueryDto) {}
