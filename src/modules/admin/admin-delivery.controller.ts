import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../access/require-permissions.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { DeliveryQueryService } from '../delivery/delivery-query.service';
import { SuppressionListService } from '../delivery/suppression-list.service';
import { AdminAccessLog } from './admin-access-log.service';
import { CurrentAdmin, ParseIdPipe, scopeFor, type AdminActor } from './admin-scope';
import {
  DeliveryMessagePageResponseDto,
  ListDeliveryMessagesQueryDto,
  SuppressionPageResponseDto,
} from './dto/admin-delivery.dto';
import { AdminPageQueryDto, AdminTenantQueryDto } from './dto/admin-scope.dto';

@ApiTags('admin')
@Controller('api/admin/delivery')
export class AdminDeliveryController {
  constructor(
    private readonly delivery: DeliveryQueryService,
    private readonly suppressions: SuppressionListService,
    private readonly accessLog: AdminAccessLog,
  ) {}

  @Get('messages')
  @RequirePermissions('delivery:read')
  @Operation(
    'listDeliveryMessages',
    'Outgoing messages (OTP codes) and their delivery status, newest first',
    'Filter by `status` and `channel`; destinations are masked and message contents are never shown. Keyset-paginated `{items, nextCursor}`.',
  )
  @ApiOkResponse({ description: 'A page of messages, newest first', type: DeliveryMessagePageResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  async listDeliveryMessages(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: ListDeliveryMessagesQueryDto,
    @ReqCtx() ctx: RequestContext,
  ) {
    const { tenantId, limit, cursor, ...filters } = query;
    const scope = scopeFor(admin, tenantId);
    await this.accessLog.record(scope, 'listDeliveryMessages', filters, ctx);
    return this.delivery.listMessages({ tenantId: scope.tenantId }, { ...filters, limit: limit ?? 20, cursor });
  }

  @Get('suppressions')
  @RequirePermissions('delivery:read')
  @Operation(
    'listSuppressions',
    'Destinations suppressed after a hard bounce or a complaint, newest first',
    'A suppressed destination gets no messages: a send to it is recorded as suppressed, and the user is answered as if it was sent. Keyset-paginated `{items, nextCursor}`.',
  )
  @ApiOkResponse({ description: 'A page of suppressions, newest first', type: SuppressionPageResponseDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  async listSuppressions(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminPageQueryDto,
    @ReqCtx() ctx: RequestContext,
  ) {
    const scope = scopeFor(admin, query.tenantId);
    await this.accessLog.record(scope, 'listSuppressions', {}, ctx);
    return this.delivery.listSuppressions(
      { tenantId: scope.tenantId },
      { limit: query.limit ?? 20, cursor: query.cursor },
    );
  }

  @Delete('suppressions/:id')
  @RequirePermissions('delivery:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'removeSuppression',
    'Lift a suppression so the destination can receive messages again',
    'Audited. The next code sent to the destination goes out again; another hard bounce suppresses it again.',
  )
  @ApiNoContentResponse({ description: 'Suppression removed (audited delivery.suppression_removed)' })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  removeSuppression(
    @CurrentAdmin() admin: AdminActor,
    @Param('id', ParseIdPipe) id: string,
    @Query() query: AdminTenantQueryDto,
  ) {
    return this.suppressions.lift({ tenantId: scopeFor(admin, query.tenantId).tenantId }, id, admin.userId);
  }
}
