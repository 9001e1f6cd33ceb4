import { pickLanguage } from '../../common/i18n/languages';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AuditEventType } from '../audit/audit.constants';
import { type DomainEvent, DomainEvents } from '../audit/domain-events';
import { DeliveryService } from '../delivery/delivery.service';
import { UsersService } from '../users/users.service';
import { renderSecurityNotice, type SecurityChange } from './account-notices';

const NOTICE_TTL_SECONDS = 24 * 3600;

/** The successful changes the owner hears of by email (API.md "Account self-service"). */
const NOTICE_OF: Partial<Record<AuditEventType, (event: DomainEvent['event']) => SecurityChange | null>> = {
  'password.changed': () => 'password_changed',
  'password.reset': () => 'password_reset',
  'mfa.enabled': () => 'factor_added',
  'mfa.disabled': () => 'factor_removed',
  'passkey.registered': () => 'factor_added',
  'passkey.removed': () => 'factor_removed',
  'user.updated': (event) =>
    Array.isArray(event.data?.fields) && event.data.fields.includes('phone') ? 'phone_changed' : null,
};

/**
 * Emails the account's verified address when its password, second factors or phone changed,
 * once the change committed. Best effort: the change happened; a notice that cannot be queued
 * is logged. (A new email address has its own notice, to the old address: EmailChangeService;
 * a new device: NewSignInNoticeListener.)
 */
@Injectable()
export class SecurityNoticeListener implements OnModuleInit {
  private readonly logger = new Logger(SecurityNoticeListener.name);

  constructor(
    private readonly events: DomainEvents,
    private readonly users: UsersService,
    private readonly delivery: DeliveryService,
  ) {}

  onModuleInit(): void {
    for (const [type, changeOf] of Object.entries(NOTICE_OF)) {
      this.events.on(type as AuditEventType, async ({ event, ctx }) => {
        const change = changeOf?.(event);
        if (event.outcome !== 'success' || !change || !event.subjectId) return;
        const user = await this.users.findById(event.tenantId, event.subjectId);
        if (!user?.email || !user.emailVerifiedAt) return;
        try {
          await this.delivery.enqueue({
            tenantId: user.tenantId,
            userId: user.id,
            destination: { channel: 'email', address: user.email },
            purpose: change,
            content: renderSecurityNotice(change, new Date(), pickLanguage({ userLocale: user.locale })),
            ttlSeconds: NOTICE_TTL_SECONDS,
            audit: { type: 'notice.sent', ctx, data: { kind: change, channel: 'email' } },
          });
        } catch (error) {
          this.logger.warn({
            msg: 'security notice not queued',
            kind: change,
            requestId: ctx?.requestId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      });
    }
  }
}
