import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { DeliveryQueryService } from '../delivery/delivery-query.service';
import { MfaService } from '../mfa/mfa.service';
import { SessionQueries } from '../sessions/session-queries.service';
import { AccountService } from './account.service';
import { DeviceManagementService } from './device-management.service';

/** Pages of a keyset listing, read to the end (bounded: an export is not a way to load the database). */
const PAGE = 100;
const MAX_ITEMS = 10_000;

async function readAll<T>(page: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor && items.length < MAX_ITEMS);
  return items;
}

/**
 * GET /api/account/export: everything held about the caller, as one JSON document. No secret
 * is in it: no password hash, no TOTP secret, no recovery code, no code or content of a message.
 */
@Injectable()
export class AccountExportService {
  constructor(
    private readonly account: AccountService,
    private readonly devices: DeviceManagementService,
    private readonly sessions: SessionQueries,
    private readonly mfa: MfaService,
    private readonly audit: AuditService,
    private readonly delivery: DeliveryQueryService,
  ) {}

  async export(auth: AuthPrincipal, ctx: RequestContext) {
    const document = {
      exportedAt: new Date().toISOString(),
      account: await this.account.get(auth),
      devices: await this.devices.list(auth),
      sessions: await this.sessions.listLive(auth.tenantId, auth.userId, auth.sessionId),
      mfa: await this.mfa.status(auth),
      history: await readAll((cursor) => this.audit.historyOf(auth.tenantId, auth.userId, PAGE, cursor)),
      deliveries: await readAll((cursor) =>
        this.delivery.listMessages({ tenantId: auth.tenantId }, { userId: auth.userId, limit: PAGE, cursor }),
      ),
    };
    await this.audit.record(
      {
        type: 'account.exported',
        outcome: 'success',
        tenantId: auth.tenantId,
        subjectId: auth.userId,
        sessionId: auth.sessionId,
      },
      ctx,
    );
    return document;
  }
}
