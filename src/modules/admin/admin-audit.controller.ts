import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../access/require-permissions.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { AdminAuditPageResponseDto, ListAuditEventsQueryDto } from '../audit/dto/admin-audit.dto';
import { AdminAccessLog } from './admin-access-log.service';
import { CurrentAdmin, scopeFor, type AdminActor } from './admin-scope';

@ApiTags('admin')
@Controller('api/admin/audit')
export class AdminAuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly accessLog: AdminAccessLog,
  ) {}

  @Get()
  @RequirePermissions('audit:read')
  @Operation(
    'listAuditEvents',
    'Audit events of the tenant, newest first, filtered by user, type, outcome and time',
    "Keyset-paginated `{items, nextCursor}`: pass `nextCursor` back as `cursor` for the next page. `from` and `to` are ISO 8601 date-times; `to` is exclusive. Platform admins see every tenant's events.",
  )
  @ApiOkResponse({ description: 'A page of audit events, newest first', type: AdminAuditPageResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  async listAuditEvents(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: ListAuditEventsQueryDto,
    @ReqCtx() ctx: RequestContext,
  ) {
    const { tenantId, limit, cursor, ...filters } = query;
    const scope = scopeFor(admin, tenantId);
    // Logged before the query, so the reader's own event is newer than anything on the page.
    await this.accessLog.record(scope, 'listAuditEvents', filters, ctx);
    return this.audit.query({ tenantId: scope.tenantId }, { ...filters, limit: limit ?? 20, cursor });
  }
}
