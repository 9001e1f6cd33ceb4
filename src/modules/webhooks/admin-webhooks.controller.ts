import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { ReqCtx, type RequestContext } from '../../common/http/request-context';
import { RequirePermissions } from '../access/require-permissions.decorator';
import { CurrentAdmin, scopeFor, type AdminActor } from '../admin/admin-scope';
import { AdminPageQueryDto, AdminTenantQueryDto } from '../admin/dto/admin-scope.dto';
import {
  CreatedWebhookEndpointDto,
  CreateWebhookEndpointDto,
  ListWebhookDeliveriesQueryDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveryPageDto,
  WebhookEndpointDto,
  WebhookEndpointPageDto,
} from './webhook.dto';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhookEndpoints } from './webhook-endpoints.service';

/**
 * The tenant's outbound event webhooks (API.md "Outbound event webhooks"): endpoints (secret
 * shown once), and every delivery with its attempts. Platform admins name a tenant with `?tenantId=`.
 */
@ApiTags('admin')
@Controller('api/admin/webhooks')
export class AdminWebhooksController {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  @Get()
  @RequirePermissions('webhooks:read')
  @Operation('listWebhooks', "The tenant's webhook endpoints", 'Newest first, keyset-paginated `{items, nextCursor}`.')
  @ApiOkResponse({ type: WebhookEndpointPageDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  list(@CurrentAdmin() admin: AdminActor, @Query() query: AdminPageQueryDto): Promise<WebhookEndpointPageDto> {
    return this.endpoints.list(tenantOf(admin, query), { limit: query.limit ?? 20, cursor: query.cursor });
  }

  @Post()
  @RequirePermissions('webhooks:write')
  @Operation(
    'createWebhook',
    'Register a webhook endpoint',
    'The `secret` (`whsec_…`) signing every delivery is shown this once. Events are signed as Standard Webhooks ' +
      '(`webhook-id`, `webhook-timestamp`, `webhook-signature`). Audited as `webhook.created`.',
  )
  @ApiCreatedResponse({ type: CreatedWebhookEndpointDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN')
  create(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Body() body: CreateWebhookEndpointDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<CreatedWebhookEndpointDto> {
    return this.endpoints.create(tenantOf(admin, query), body, { actorId: admin.userId, ctx });
  }

  @Patch(':id')
  @RequirePermissions('webhooks:write')
  @Operation('updateWebhook', 'Change a webhook endpoint', 'Partial. Audited as `webhook.updated`.')
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  update(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Param('id') id: string,
    @Body() body: UpdateWebhookEndpointDto,
    @ReqCtx() ctx: RequestContext,
  ): Promise<WebhookEndpointDto> {
    return this.endpoints.update(tenantOf(admin, query), id, body, { actorId: admin.userId, ctx });
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('webhooks:write')
  @Operation('deleteWebhook', 'Remove a webhook endpoint', 'Its deliveries go with it. Audited as `webhook.deleted`.')
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  async remove(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Param('id') id: string,
    @ReqCtx() ctx: RequestContext,
  ): Promise<void> {
    await this.endpoints.remove(tenantOf(admin, query), id, { actorId: admin.userId, ctx });
  }

  @Get(':id/deliveries')
  @RequirePermissions('webhooks:read')
  @Operation(
    'listWebhookDeliveries',
    "A webhook endpoint's deliveries",
    'Newest first, with every attempt (time, HTTP status, latency, or why no answer came).',
  )
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND')
  deliveriesOf(
    @CurrentAdmin() admin: AdminActor,
    @Param('id') id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<WebhookDeliveryPageDto> {
    return this.deliveries.list(tenantOf(admin, query), id, {
      status: query.status,
      limit: query.limit ?? 20,
      cursor: query.cursor,
    });
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @RequirePermissions('webhooks:write')
  @Operation(
    'retryWebhookDelivery',
    'Send a delivery again',
    'A fresh set of attempts, the same event id (receivers deduplicate on `webhook-id`). 409 CONFLICT while the ' +
      'endpoint is disabled.',
  )
  @ApiAcceptedResponse({ description: 'Queued' })
  @ApiErrors('VALIDATION_FAILED', 'TENANT_UNKNOWN', 'NOT_FOUND', 'CONFLICT')
  async retry(
    @CurrentAdmin() admin: AdminActor,
    @Query() query: AdminTenantQueryDto,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<void> {
    await this.deliveries.retry(tenantOf(admin, query), id, deliveryId);
  }
}

/** One tenant always: the admin's own, or for a platform admin the one named. */
function tenantOf(admin: AdminActor, query: AdminTenantQueryDto): string {
  return scopeFor(admin, query.tenantId).tenantId ?? admin.tenantId;
}
