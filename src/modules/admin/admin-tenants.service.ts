import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import { olderThan } from '../../common/http/cursor';
import type { RequestContext } from '../../common/http/request-context';
import type { TenantViewDto } from './dto/admin-tenant.dto';
import { AuditService } from '../audit/audit.service';
import { SessionRevoker } from '../sessions/session-revoker.service';
import type { Tenant, TenantSettings } from '../tenants/tenant.entity';
import { TenantsService } from '../tenants/tenants.service';
import { User } from '../users/user.entity';

const REASON_TENANT_DISABLED = 'tenant_disabled';
const USER_BATCH = 500;

/** Operator actions on tenants (CLI): they combine tenants, sessions and audit, hence here. */
@Injectable()
export class AdminTenantsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenants: TenantsService,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
  ) {}

  /**
   * The tenant first (TenantGuard refuses it: no new sign-in, every process told over pub/sub),
   * then its sessions, so nobody already signed in keeps access.
   */
  async disable(id: string): Promise<{ tenant: Tenant; revoked: number }> {
    const tenant = await this.tenants.setActive(id, false);
    const revoked = await this.revokeAllSessionsOf(id);
    await this.audit.record({ type: 'tenant.disabled', outcome: 'success', tenantId: id, data: { revoked } });
    return { tenant, revoked };
  }

  /**
   * Every user's sessions, in keyset batches over the tenant's users (one revocation per
   * user, so no single transaction spans every session of the tenant).
   */
  private async revokeAllSessionsOf(tenantId: string): Promise<number> {
    let revoked = 0;
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const batch = await this.em
        .fork()
        .find(
          User,
          { tenantId, ...olderThan(after) },
          { orderBy: { createdAt: 'desc', id: 'desc' }, limit: USER_BATCH, fields: ['id', 'createdAt'] },
        );
      for (const user of batch) {
        revoked += await this.revoker.revoke({ tenantId, userId: user.id }, REASON_TENANT_DISABLED);
      }
      if (batch.length < USER_BATCH) return revoked;
      after = batch[batch.length - 1];
    }
  }

  async enable(id: string): Promise<Tenant> {
    const tenant = await this.tenants.setActive(id, true);
    await this.audit.record({ type: 'tenant.enabled', outcome: 'success', tenantId: id });
    return tenant;
  }

  /** `actorId`: the admin who changed them over the API; absent for the operator's CLI. */
  async setSettings(
    id: string,
    settings: TenantSettings,
    replace: boolean,
    by: { actorId?: string; ctx?: RequestContext } = {},
  ): Promise<Tenant> {
    const before = (await this.tenants.find(id))?.settings;
    const tenant = await this.tenants.updateSettings(id, settings, { replace });
    await this.audit.record(
      {
        type: 'tenant.settings_changed',
        outcome: 'success',
        tenantId: id,
        actorId: by.actorId ?? null,
        data: { from: before ?? null, to: tenant.settings },
      },
      by.ctx,
    );
    return tenant;
  }

  /** The tenant as an admin sees it (GET /api/admin/tenant); NOT_FOUND for an id that names none. */
  async view(id: string): Promise<TenantViewDto> {
    const tenant = await this.tenants.find(id);
    if (!tenant) throw new AppException('NOT_FOUND');
    return { id: tenant.id, name: tenant.name, active: tenant.isActive, settings: tenant.settings };
  }
}
