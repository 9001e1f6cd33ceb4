import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { MfaModule } from '../mfa/mfa.module';
import { PagesModule } from '../pages/pages.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TenantsModule } from '../tenants/tenants.module';
import { UsersModule } from '../users/users.module';
import { AdminOidcClientsController } from './clients/admin-oidc-clients.controller';
import { OidcClientsModule } from './clients/oidc-clients.module';
import { OidcInteractionController } from './interaction/oidc-interaction.controller';
import { OidcInteractions } from './interaction/oidc-interactions.service';
import { OidcAccounts } from './provider/oidc-accounts.service';
import { OidcClientAdapter } from './provider/oidc-client.adapter';
import { OidcGrants } from './provider/oidc-grants.service';
import { OidcLogout } from './provider/oidc-logout';
import { OidcProviders } from './provider/oidc-provider.registry';
import { OidcStorage } from './provider/oidc-storage';
import { OidcSessionEnd } from './provider/oidc-session-end.listener';

/**
 * The OpenID Connect provider (API.md): one issuer per tenant on oidc-provider, its sign-in on the
 * hosted pages, its grants tied to SecureAuth sessions, and the client registry (admin API, CLI).
 */
@Module({
  imports: [AuthModule, MfaModule, OidcClientsModule, PagesModule, SessionsModule, TenantsModule, UsersModule],
  controllers: [AdminOidcClientsController, OidcInteractionController],
  providers: [
    OidcLogout,
    OidcStorage,
    OidcClientAdapter,
    OidcAccounts,
    OidcGrants,
    OidcProviders,
    OidcSessionEnd,
    OidcInteractions,
  ],
  exports: [OidcProviders],
})
export class OidcModule {}
