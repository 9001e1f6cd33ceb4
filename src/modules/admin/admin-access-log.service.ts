import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import type { AdminScope } from './admin-scope';

/**
 * Reads of other people's data are admin actions too: each one leaves an `admin.read` event
 * (operation and filters, never the data returned) in the admin's tenant.
 */
@Injectable()
export class AdminAccessLog {
  constructor(private readonly audit: AuditService) {}

  async record(scope: AdminScope, operation: string, filters: object, ctx: RequestContext): Promise<void> {
    const given = Object.fromEntries(
      Object.entries(filters)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [key, value instanceof Date ? value.toISOString() : (value as unknown)]),
    );
    await this.audit.record(
      {
        type: 'admin.read',
        outcome: 'success',
        tenantId: scope.actor.tenantId,
        actorId: scope.actor.userId,
        data: { operation, scope: scope.tenantId ?? '*', ...given },
      },
      ctx,
    );
  }
}
