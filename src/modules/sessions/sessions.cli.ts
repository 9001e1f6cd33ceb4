import { EntityManager } from '@mikro-orm/postgresql';
import type { INestApplicationContext } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DEFAULT_TENANT_ID } from '../tenants/tenant.entity';
import { User } from '../users/user.entity';
import { SessionRevoker } from './session-revoker.service';
import { SigningKeysService } from './signing-keys.service';

type Context = () => Promise<INestApplicationContext>;

/** `rotate-keys`: other processes pick the new key up within their reload period. */
export async function rotateKeysCommand(context: Context): Promise<number> {
  const app = await context();
  const { kid, retired } = await app.get(SigningKeysService).rotate();
  console.log(`active signing key ${kid}${retired.length ? `; retired ${retired.join(', ')}` : ''}`);
  return 0;
}

/** `revoke-sessions --email <e> [--tenant <id>]`. */
export async function revokeSessionsCommand(
  email: string,
  tenant: string | boolean | undefined,
  context: Context,
): Promise<number> {
  const app = await context();
  const tenantId = typeof tenant === 'string' && tenant.length > 0 ? tenant : DEFAULT_TENANT_ID;
  const em = app.get(EntityManager).fork();
  const user = await em.findOne(User, { tenantId, email: email.toLowerCase() });
  if (!user) {
    console.error(`no user ${email} in tenant ${tenantId}`);
    return 1;
  }
  const revoked = await app.get(SessionRevoker).revoke({ tenantId, userId: user.id }, 'operator_revoked');
  await app.get(AuditService).record(
    {
      type: 'admin.sessions_revoked',
      outcome: 'success',
      tenantId,
      subjectId: user.id,
      data: { revoked, via: 'cli' },
    },
    {},
    em,
  );
  console.log(`revoked ${revoked} session(s) of ${email}`);
  return 0;
}
