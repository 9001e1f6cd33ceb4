import { Injectable } from '@nestjs/common';
import type { Account } from 'oidc-provider';
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
    private readonly grants: OidcGrants,
  ) {}

  async find(tenantId: string, sub: string, token?: { grantId?: string }): Promise<Account | undefined> {
    if (token?.grantId !== undefined && !(await this.grants.isLive(tenantId, token.grantId))) return undefined;
    const user = await this.users.findById(tenantId, sub);
    if (!user || user.status !== 'active') return undefined;
    const claims = claimsOf(user);
    return { accountId: user.id, claims: () => ({ ...claims, sub: user.id }) };
  }
}
