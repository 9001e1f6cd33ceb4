import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { userUpdated } from './account-events';
import { LiveSessionPublisher } from '../sessions/live-session-publisher.service';
import type { UserProfileDto } from '../users/dto/user-view.dto';
import type { AccountSettings, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { AccountDto, AccountSettingsDto, UpdateProfileDto, UpdateSettingsDto } from './dto/account.dto';

const PROFILE_FIELDS = ['firstName', 'lastName', 'photoUrl', 'country', 'locale'] as const;

/** The caller's own account: what it holds, its profile and its settings (API.md "Account self-service"). */
@Injectable()
export class AccountService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly liveSessions: LiveSessionPublisher,
  ) {}

  async get(auth: AuthPrincipal): Promise<AccountDto> {
    return this.toAccount(await this.owner(auth, this.em));
  }

  async updateProfile(auth: AuthPrincipal, input: UpdateProfileDto, ctx: RequestContext): Promise<AccountDto> {
    const profile: Partial<UserProfileDto> = {};
    for (const field of PROFILE_FIELDS) {
      const value = input[field];
      if (value !== undefined) profile[field] = normalised(field, value);
    }
    return this.change(auth, ctx, { profile }, Object.keys(profile));
  }

  async updateSettings(auth: AuthPrincipal, input: UpdateSettingsDto, ctx: RequestContext): Promise<AccountDto> {
    return this.change(auth, ctx, { settings: input }, Object.keys(input));
  }

  private async change(
    auth: AuthPrincipal,
    ctx: RequestContext,
    changes: { profile?: Partial<UserProfileDto>; settings?: UpdateSettingsDto },
    fields: string[],
  ): Promise<AccountDto> {
    const user = await this.em.fork().transactional(async (em) => {
      const owner = await this.owner(auth, em);
      if (fields.length === 0) return owner;
      const settings = changes.settings ? mergeSettings(owner.settings, changes.settings) : undefined;
      await this.users.updateAccount(owner, { profile: changes.profile, settings }, em);
      const changed = fields.map((field) => (changes.settings ? `settings.${field}` : field));
      await this.audit.record(userUpdated(auth, changed), ctx, em);
      return owner;
    });
    // GET /me shows the profile from a cached view: it is read again next time.
    if (changes.profile && fields.length > 0) await this.liveSessions.forgetUserSnapshot(auth.userId);
    return this.toAccount(user);
  }

  private async owner(auth: AuthPrincipal, em: EntityManager): Promise<User> {
    const user = await this.users.findById(auth.tenantId, auth.userId, em);
    if (!user) throw new AppException('UNAUTHORIZED');
    return user;
  }

  toAccount(user: User): AccountDto {
    const { id, tenantId, email, emailVerified, phone, phoneVerified, profile, createdAt } = this.users.toView(user);
    return {
      id,
      tenantId,
      email,
      emailVerified,
      phone,
      phoneVerified,
      profile,
      settings: settingsOf(user.settings),
      createdAt,
    };
  }
}

/** Trimmed; empty clears the field like null; a language tag in its canonical spelling (de-de -> de-DE). */
function normalised(field: (typeof PROFILE_FIELDS)[number], value: string | null): string | null {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') return null;
  return field === 'locale' ? Intl.getCanonicalLocales(trimmed)[0] : trimmed;
}

/** What a user who never chose gets: the system theme, notices by email, a private profile. */
export function settingsOf(stored: AccountSettings): AccountSettingsDto {
  return {
    theme: stored.theme ?? 'auto',
    notifications: { email: stored.notifications?.email ?? true, sms: stored.notifications?.sms ?? false },
    privacy: { publicView: stored.privacy?.publicView ?? false },
  };
}

/** Settings merge per key: `notifications` and `privacy` key by key (API.md settled details). */
function mergeSettings(stored: AccountSettings, input: UpdateSettingsDto): AccountSettings {
  return {
    ...stored,
    ...(input.theme !== undefined ? { theme: input.theme } : {}),
    ...(input.notifications ? { notifications: { ...stored.notifications, ...defined(input.notifications) } } : {}),
    ...(input.privacy ? { privacy: { ...stored.privacy, ...defined(input.privacy) } } : {}),
  };
}

const defined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
