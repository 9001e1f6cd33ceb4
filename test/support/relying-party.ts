import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../browser/browser-support';
import { freePort, startTestApp, type TestApp } from './test-app';
import { OidcClients } from '../../src/modules/oidc/clients/oidc-clients.service';
import type { CreateOidcClientDto } from '../../src/modules/oidc/clients/oidc-client.dto';

/**
 * A relying party's own server: its redirect URI answers 200 (the browser lands there and the
 * test reads the code from the URL), and its back-channel logout URI records the logout tokens.
 */
export class RelyingPartyServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    /** Every logout token its back-channel URI received, in order. */
    readonly logoutTokens: string[],
  ) {}

  static async start(): Promise<RelyingPartyServer> {
    const tokens: string[] = [];
    const server = createServer((request, response) => {
      void (async () => {
        if (request.method === 'POST' && request.url === '/backchannel') {
          const body = new URLSearchParams(await readBody(request));
          const token = body.get('logout_token');
          if (token) tokens.push(token);
          response.writeHead(200).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title><h1>RP</h1>');
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new RelyingPartyServer(server, `http://127.0.0.1:${port}`, tokens);
  }

  get redirectUri(): string {
    return `${this.origin}/cb`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

/** Registers a client in the service's registry, as the admin API and the CLI do. */
export async function registerClient(
  sut: TestApp,
  input: Partial<CreateOidcClientDto> & { redirectUris: string[] },
  tenantId = 'default',
) {
  return sut.app.get(OidcClients).create(tenantId, { name: 'Test RP', ...input });
}

/** openid-client's view of the issuer (discovery), for a client; plain http is the test's loopback. */
export function discover(issuer: string, clientId: string, clientSecret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, clientSecret, clientSecret ? undefined : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** An authorization request with PKCE S256 and state, as a relying party builds it. */
export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { url, codeVerifier, state };
}

/** The service on a known origin (its issuers are built from PUBLIC_BASE_URL), a relying party's server and Chromium. */
export interface OidcStack {
  sut: TestApp;
  origin: string;
  /** The default tenant's issuer. */
  issuer: string;
  rp: RelyingPartyServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startOidcStack(): Promise<OidcStack> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const sut = await startTestApp(
    {
      COOKIE_SECURE: 'false',
      PUBLIC_BASE_URL: origin,
      THROTTLE_AUTH_LIMIT: '100000',
      THROTTLE_DEFAULT_LIMIT: '100000',
    },
    undefined,
    { port },
  );
  const rp = await RelyingPartyServer.start();
  const browser = await launchBrowser();
  return {
    sut,
    origin,
    issuer: `${origin}/oidc/default`,
    rp,
    browser,
    async close() {
      await browser.close();
      await rp.close();
      await sut.close();
    },
  };
}
