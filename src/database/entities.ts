import { AuditEvent } from '../modules/audit/audit-event.entity';
import { DeliveryMessage } from '../modules/delivery/delivery-message.entity';
import { DeliverySuppression } from '../modules/delivery/delivery-suppression.entity';
import { Device } from '../modules/devices/device.entity';
import { Passkey } from '../modules/mfa/entities/passkey.entity';
import { OidcClient, OidcConsent, OidcRecord } from '../modules/oidc/oidc.entities';
import { RecoveryCode } from '../modules/mfa/entities/recovery-code.entity';
import { UserMfa } from '../modules/mfa/entities/user-mfa.entity';
import { RefreshToken, Session } from '../modules/sessions/session.entity';
import { SigningKey } from '../modules/sessions/signing-key.entity';
import { SignInPlace } from '../modules/sign-in-risk/sign-in-place.entity';
import { Tenant } from '../modules/tenants/tenant.entity';
import { PendingRegistration } from '../modules/users/pending-registration.entity';
import { User } from '../modules/users/user.entity';
import { WebhookDelivery, WebhookEndpoint } from '../modules/webhooks/webhook.entities';

/** Every entity of the service; the ORM, the CLI and the migrations all read this list. */
export const ENTITIES = [
  Tenant,
  User,
  PendingRegistration,
  AuditEvent,
  SigningKey,
  Session,
  RefreshToken,
  Device,
  SignInPlace,
  UserMfa,
  Passkey,
  RecoveryCode,
  DeliveryMessage,
  DeliverySuppression,
  OidcClient,
  OidcRecord,
  OidcConsent,
  WebhookEndpoint,
  WebhookDelivery,
];
