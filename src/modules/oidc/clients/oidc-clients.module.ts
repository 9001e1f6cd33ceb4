import { Module } from '@nestjs/common';
import { OidcClients } from './oidc-clients.service';

/** The client registry alone: what the CLI needs, without the provider or the pages. */
@Module({ providers: [OidcClients], exports: [OidcClients] })
export class OidcClientsModule {}
