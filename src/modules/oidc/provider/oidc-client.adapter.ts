import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Adapter, AdapterPayload, Provider } from 'oidc-provider';
import { clientSecretHash, OidcClients } from '../clients/oidc-clients.service';
import type { OidcClient } from '../oidc.entities';

/** A registered client as oidc-provider's metadata; only this tenant's clients exist for its issuer. */
function metadataOf(client: OidcClient): AdapterPayload {
  return {
    client_id: client.clientId,
    client_name: client.name,
    // The stored hash stands where the secret would: compareClientSecret (below) hashes what is presented.
    ...(client.secretHash ? { client_secret: client.secretHash } : {}),
    token_endpoint_auth_method: client.public ? 'none' : 'client_secret_basic',
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    id_token_signed_response_alg: 'ES256',
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
  };
}

/** The provider's Client model reads the client registry (oidc_client); it never writes to it. */
@Injectable()
export class OidcClientAdapter {
  constructor(private readonly clients: OidcClients) {}

  forTenant(tenantId: string): Adapter {
    const find = async (id: string) => {
      const client = await this.clients.find(tenantId, id);
      return client ? metadataOf(client) : undefined;
    };
    const none = () => Promise.resolve(undefined);
    return {
      find,
      findByUid: none,
      findByUserCode: none,
      upsert: () => Promise.reject(new Error('clients are registered through the admin API or the CLI')),
      consume: () => Promise.resolve(),
      destroy: () => Promise.resolve(),
      revokeByGrantId: () => Promise.resolve(),
    };
  }

  /**
   * Secrets are kept as SHA-256: a presented secret is hashed and compared in constant time. The
   * hash is never usable as a key (client_secret_jwt and HS* algorithms are not offered).
   */
  teach(provider: Provider): void {
    provider.Client.prototype.compareClientSecret = function compareClientSecret(
      this: { clientSecret?: string },
      actual: string,
    ) {
      const expected = Buffer.from(this.clientSecret ?? '', 'hex');
      const presented = Buffer.from(clientSecretHash(actual), 'hex');
      return Promise.resolve(expected.length === presented.length && timingSafeEqual(expected, presented));
    };
  }
}
