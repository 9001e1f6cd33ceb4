import { createHmac, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { SigningKeysService } from '../../src/modules/sessions/signing-keys.service';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import type { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession, type StartedSession } from './sessions-support';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Every upper/lower-case spelling of "none" (16), for libraries that compare it case-insensitively. */
const NONE_SPELLINGS = Array.from({ length: 16 }, (_, mask) =>
  [...'none'].map((letter, i) => (mask & (1 << i) ? letter.toUpperCase() : letter)).join(''),
);

describe('access tokens under attack: every forgery is refused', () => {
  let sut: TestApp;
  let user: User;
  let session: StartedSession;
  let realKey: { kid: string; privateKey: KeyObject; publicPem: string; publicKey: KeyObject };

  beforeAll(async () => {
    sut = await startTestApp();
    user = await createUser(sut);
    session = await startSession(sut, user, { client: 'native' });
    realKey = await sut.app.get(SigningKeysService).activeKey();
  });
  afterAll(() => sut.close());

  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: 'secureauth',
      aud: 'secureauth',
      sub: user.id,
      sid: session.sessionId,
      tid: 'default',
      roles: ['admin'],
      amr: ['pwd'],
      aal: 2,
      auth_time: now,
      iat: now,
      exp: now + 600,
      jti: 'attack',
      ...overrides,
    };
  };
  /** ES256 over any header and payload, with any key. */
  const es256 = (header: Record<string, unknown>, payload: Record<string, unknown>, key = realKey.privateKey) => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const hs256 = (header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer) => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const expectRefused = async (token: string, code = 'UNAUTHORIZED') => {
    const response = await sut.http.get('/api/auth/me', { token });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe(code);
  };

  it('should accept the genuine token (control)', async () => {
    expect((await sut.http.get('/api/auth/me', { token: session.accessToken })).status).toBe(200);
    const forged = es256({ alg: 'ES256', typ: 'JWT', kid: realKey.kid }, claims());
    expect((await sut.http.get('/api/auth/me', { token: forged })).status).toBe(200);
  });

  it.each([...NONE_SPELLINGS, '', ' none', 'none '])(
    'should refuse alg "%s" with or without a signature',
    async (alg) => {
      const unsigned = `${b64({ alg, typ: 'JWT', kid: realKey.kid })}.${b64(claims())}`;
      await expectRefused(`${unsigned}.`);
      await expectRefused(unsigned);
      await expectRefused(`${unsigned}.${session.accessToken.split('.')[2]}`);
    },
  );

  it('should refuse HS256 tokens keyed with the public key in PEM, DER and JWK forms', async () => {
    const header = { alg: 'HS256', typ: 'JWT', kid: realKey.kid };
    const der = realKey.publicKey.export({ format: 'der', type: 'spki' });
    const jwk = JSON.stringify(realKey.publicKey.export({ format: 'jwk' }));
    for (const secret of [realKey.publicPem, realKey.publicPem.trim(), der, der.toString('base64'), jwk]) {
      await expectRefused(hs256(header, claims(), secret));
    }
  });

  it('should refuse HS256 keyed with the public key as the JWKS serves it, canonical, raw, or with its kid', async () => {
    const header = { alg: 'HS256', typ: 'JWT', kid: realKey.kid };
    const jwks = await sut.http.get('/.well-known/jwks.json');
    const served = (jwks.body.keys as Array<Record<string, string>>).find((key) => key.kid === realKey.kid)!;
    expect(served).toBeDefined();
    const { crv, kty, x, y } = served;
    const secrets = [
      JSON.stringify(served),
      JSON.stringify(jwks.body),
      // RFC 7638 thumbprint input: the required members in lexicographic order, no whitespace.
      JSON.stringify({ crv, kty, x, y }),
      // The raw uncompressed point (0x04 || x || y) and its halves.
      Buffer.concat([Buffer.from([4]), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]),
      Buffer.from(x, 'base64url'),
      x,
      realKey.publicPem.replace(/\n/g, '\r\n'),
      realKey.kid,
      '',
    ];
    for (const secret of secrets) await expectRefused(hs256(header, claims(), secret));
  });

  it('should refuse HS256 whose hostile kid points at a guessable secret (empty file, injected SQL value)', async () => {
    // The classic pair: a kid naming /dev/null (an empty key) or a SQL injection selecting a
    // value of the attacker's, with the token HMAC'd under that key.
    const cases: Array<[string, string]> = [
      ['../../../../../../dev/null', ''],
      ['/dev/null', ''],
      ["x' UNION SELECT 'attacker-secret' --", 'attacker-secret'],
      ["' OR 1=1 --", ''],
      ['k'.repeat(5000), ''],
      ['\u0000', ''],
    ];
    for (const [kid, secret] of cases) {
      await expectRefused(hs256({ alg: 'HS256', typ: 'JWT', kid }, claims(), secret));
    }
  });

  it.each(['ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'HS512'])('should refuse alg %s', async (alg) => {
    await expectRefused(es256({ alg, typ: 'JWT', kid: realKey.kid }, claims()));
  });

  it('should refuse a token signed by a key the server does not know (unknown kid)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expectRefused(es256({ alg: 'ES256', typ: 'JWT', kid: 'attacker-key' }, claims(), privateKey));
    // A known kid with the attacker's signature: the signature check fails.
    await expectRefused(es256({ alg: 'ES256', typ: 'JWT', kid: realKey.kid }, claims(), privateKey));
  });

  it.each([
    '../../../../etc/passwd',
    '/dev/null',
    "' OR '1'='1",
    "x'; drop table signing_key; --",
    'k'.repeat(5000),
    '',
  ])('should refuse a hostile kid %#', async (kid) => {
    await expectRefused(es256({ alg: 'ES256', typ: 'JWT', kid }, claims()));
  });

  it('should refuse non-string kids and a missing kid', async () => {
    await expectRefused(es256({ alg: 'ES256', typ: 'JWT', kid: { $ne: null } }, claims()));
    await expectRefused(es256({ alg: 'ES256', typ: 'JWT', kid: [realKey.kid] }, claims()));
    await expectRefused(es256({ alg: 'ES256', typ: 'JWT' }, claims()));
  });

  it('should refuse jku, x5u, jwk and crit headers even with a genuine signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const base = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    await expectRefused(es256({ ...base, jku: 'https://evil.example/jwks.json' }, claims()));
    await expectRefused(es256({ ...base, x5u: 'https://evil.example/cert.pem' }, claims()));
    await expectRefused(es256({ ...base, jwk: publicKey.export({ format: 'jwk' }) }, claims()));
    await expectRefused(es256({ ...base, crit: ['exp'] }, claims()));
    // The classic embedded-key attack: the attacker's own key in the header, signed by it.
    const attacker = new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: realKey.kid, jwk: await exportJWK(publicKey) })
      .sign(createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })));
    await expectRefused(await attacker);
  });

  it('should refuse foreign audience and issuer', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    await expectRefused(es256(header, claims({ aud: 'another-service' })));
    await expectRefused(es256(header, claims({ aud: ['another-service'] })));
    await expectRefused(es256(header, claims({ iss: 'https://evil.example' })));
    await expectRefused(es256(header, claims({ iss: undefined })));
  });

  it('should refuse a missing or empty audience and near-miss spellings of the audience and issuer', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    for (const aud of [undefined, [], '', 'SecureAuth', 'secureauth ', ['secureauth-admin'], { 0: 'secureauth' }]) {
      await expectRefused(es256(header, claims({ aud })));
    }
    for (const iss of ['', 'SecureAuth', 'secureauth ', 'https://secureauth', ['secureauth']]) {
      await expectRefused(es256(header, claims({ iss })));
    }
  });

  it('should refuse a token whose tid is another tenant', async () => {
    await sut.app.get(TenantsService).create('other', 'Other');
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    await expectRefused(es256(header, claims({ tid: 'other' })));
    const response = await sut.http.get('/api/auth/me', {
      token: es256(header, claims({ tid: 'other' })),
      headers: { 'x-tenant-id': 'other' },
    });
    // Right header, but the session behind sid belongs to the default tenant.
    expect(response.status).toBe(401);
  });

  it('should refuse tokens missing sid, sub or tid, or naming a session that does not exist', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    await expectRefused(es256(header, claims({ sid: undefined })));
    await expectRefused(es256(header, claims({ sub: undefined })));
    await expectRefused(es256(header, claims({ tid: undefined })));
    await expectRefused(es256(header, claims({ sid: '00000000-0000-4000-8000-000000000000' })));
    await expectRefused(es256(header, claims({ sub: '00000000-0000-4000-8000-000000000000' })));
  });

  it('should refuse a not-yet-valid token (nbf) and answer TOKEN_EXPIRED past exp', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(es256(header, claims({ nbf: now + 3600 })));
    await expectRefused(es256(header, claims({ exp: now - 30 })), 'TOKEN_EXPIRED');
  });

  it('should refuse a DER-encoded ECDSA signature and a tampered payload', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    const input = `${b64(header)}.${b64(claims())}`;
    const der = sign('sha256', Buffer.from(input), realKey.privateKey).toString('base64url');
    await expectRefused(`${input}.${der}`);
    const [h, , s] = session.accessToken.split('.');
    await expectRefused(`${h}.${b64(claims({ sub: user.id, roles: ['admin'] }))}.${s}`);
  });

  it.each(['', 'garbage', 'a.b.c', 'a.b', '....', '%%%.%%%.%%%', 'eyJ.eyJ.', 'x'.repeat(10_000)])(
    'should refuse garbage %#',
    async (token) => {
      const response = await sut.http.get('/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    },
  );

  it('should refuse a genuine token presented with another auth scheme', async () => {
    const response = await sut.http.get('/api/auth/me', { headers: { authorization: `Basic ${session.accessToken}` } });
    expect(response.status).toBe(401);
  });

  it('should accept a correctly signed token whose audience list names this service', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: realKey.kid };
    const response = await sut.http.get('/api/auth/me', {
      token: es256(header, claims({ aud: ['another-service', 'secureauth'] })),
    });
    expect(response.status).toBe(200);
  });

  it('should answer 503, never let the request through, when the signing keys cannot be read', async () => {
    const header = { alg: 'ES256', typ: 'JWT', kid: 'not-loaded-yet' };
    const keys = sut.app.get(SigningKeysService);
    const spy = jest
      .spyOn(keys, 'verificationKey')
      .mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    try {
      const response = await sut.http.get('/api/auth/me', { token: es256(header, claims()) });
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      spy.mockRestore();
    }
  });
});
