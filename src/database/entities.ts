import { AuditEvent } from '../modules/audit/audit-event.entity';
import { Tenant } from '../modules/tenants/tenant.entity';
import { User } from '../modules/users/user.entity';

/** Every entity of the service; the ORM, the CLI and the migrations all read this list. */
export const ENTITIES = [Tenant, User, AuditEvent];
