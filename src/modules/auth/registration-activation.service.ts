import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import type { RequestContext } from '../../common/http/request-context';
import { canonicalEmail } from '../../common/http/canonical-email';
import { appConfig } from '../../config/app.config';
import { ConfigError } from '../../config/env-reader';
import { AuditService } from '../audit/audit.service';
import type { User } from '../users/user.entity';
import { PendingRegistrationsService } from '../users/pending-registrations.service';
import { UsersService } from '../users/users.service';

/** A pending registration whose mailbox is proven becomes a user. */
@Injectable()
export class RegistrationActivation {
  /** In the stored spelling, so that they compare equal to verified accounts' emails. */
  private readonly bootstrapAdminEmails: ReadonlySet<string>;

  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly registrations: PendingRegistrationsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    // Config sits below common and cannot spell emails; an invalid one still stops the boot.
    this.bootstrapAdminEmails = new Set(
      app.bootstrapAdminEmails.map((email) => {
        const canonical = canonicalEmail(email);
        if (canonical === undefined) throw new ConfigError('BOOTSTRAP_ADMIN_EMAILS', `has an invalid email "${email}"`);
        return canonical;
      }),
    );
  }

  /**
   * The registration becomes the user in one transaction with its events (and the bootstrap
   * admin role). Null when it no longer lives, or an account took the address meanwhile.
   */
  async activate(ctx: RequestContext, email: string, registrationId: string): Promise<User | null> {
    const now = this.clock.now();
    try {
      return await this.em.transactional(async (em) => {
        const registration = await this.registrations.claim(
          em,
          { id: registrationId, tenantId: ctx.tenantId, email },
          now,
        );
        if (!registration) return null;
        const user = await this.users.createFromRegistration(registration, now, em);
        const subject = { tenantId: ctx.tenantId, subjectId: user.id };
        await this.audit.record(
          {
            type: 'user.registered',
            outcome: 'success',
            ...subject,
            data: { method: 'password', passwordDiscarded: registration.wasContested },
          },
          ctx,
          em,
        );
        await this.audit.record({ type: 'email.verified', outcome: 'success', ...subject }, ctx, em);
        if (this.bootstrapAdminEmails.has(registration.email)) {
          const before = [...user.roles];
          if (await this.users.grantRole(user, 'admin', em)) {
            await this.audit.record(
              {
                type: 'role.changed',
                outcome: 'success',
                ...subject,
                data: { from: before, to: user.roles, reason: 'bootstrap_admin_email' },
              },
              ctx,
              em,
            );
          }
        }
        return user;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return null;
      throw error;
    }
  }
}
