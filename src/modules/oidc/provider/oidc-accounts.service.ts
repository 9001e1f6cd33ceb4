import { Injectable } from '@nestjs/common';
import type { Account } from 'oidc-provider';
import { SessionQueries } from '../../sessions/session-queries.service';
import { UsersService } from '../../users/users.service';
import { claimsOf } from './oidc-claims';
import { OidcGrants } from './oidc-grants.service';

/**
 * oidc-provider's findAccount. Every use of a code, refresh token or access token comes here with
 * the token: a grant whose SecureAuth session ended (revoked, signed out, account deleted or
 * disabled) finds no account, so the provider refuses the token.
 */
@Injectable()
export class OidcAccounts {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionQueries,
    private readonly grants: OidcGrants,
  ) {}

  async find(tenantId: string, sub: string, token?: { grantId?: string }): Promise<Account | undefined> {
    const [user, usable] = await Promise.all([
      this.users.findById(tenantId, sub),
      token?.grantId === undefined ? true : this.grantUsable(tenantId, token.grantId),
    ]);
    if (!user || user.status !== 'active' || !usable) return undefined;
    const claims = claimsOf({
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      phone: user.phone,
      phoneVerified: user.phoneVerifiedAt !== null,
      firstName: user.firstName,
      lastName: user.lastName,
      locale: user.locale,
    });
    return { accountId: user.id, claims: () => claims };
  }

  private async grantUsable(tenantId: string, grantId: string): Promise<boolean> {
    const sessionId = await this.grants.sessionOf(tenantId, grantId);
    return sessionId !== null && this.sessions.isUsable(tenantId, sessionId);
  }
}
