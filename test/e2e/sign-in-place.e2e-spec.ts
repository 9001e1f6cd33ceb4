import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeMmdb } from '../support/mmdb-writer';
import { startTestApp, type TestApp } from '../support/test-app';
import { passwordUser, PASSWORD } from './mfa-support';

/**
 * Where a sign-in comes from (API.md "Where a sign-in comes from"): the country and city of the
 * client's address (GEOIP_DB_PATH; behind TRUST_PROXY the address the proxy reports) and the app
 * that asked (X-Client-Name), on the session and the device.
 */
describe('the place and the service of a sign-in', () => {
  let dir: string;
  let sut: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'geoip-e2e-'));
    const path = join(dir, 'City.mmdb');
    writeMmdb(path, [
      {
        network: '81.2.69.0/24',
        record: { country: { iso_code: 'GB', names: { en: 'United Kingdom' } }, city: { names: { en: 'London' } } },
      },
      { network: '2001:db8::/32', record: { country: { iso_code: 'DE', names: { en: 'Germany' } } } },
    ]);
    sut = await startTestApp({ GEOIP_DB_PATH: path, TRUST_PROXY: '127.0.0.1', THROTTLE_AUTH_LIMIT: '1000' });
  });
  afterAll(async () => {
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signInFrom(email: string, headers: Record<string, string>) {
    const login = await sut.http.post('/api/auth/login', { email, password: PASSWORD, client: 'native' }, { headers });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    const sessions = (await sut.http.get('/api/auth/sessions', { token })).body as Array<Record<string, unknown>>;
    const devices = (await sut.http.get('/api/devices', { token })).body as Array<Record<string, unknown>>;
    return { token, session: sessions.find((s) => s.current), devices };
  }

  it('should record the country, city and service on the session and the device', async () => {
    const { email } = await passwordUser(sut);
    const login = await signInFrom(email, {
      'x-forwarded-for': '81.2.69.142',
      'x-client-name': 'MyService',
      'user-agent': 'PlaceTest/1.0',
    });
    const { session, devices } = login;
    expect(session).toMatchObject({ country: 'GB', city: 'London', service: 'MyService', ip: '81.2.69.142' });
    expect(devices.find((d) => d.userAgent === 'PlaceTest/1.0')).toMatchObject({
      lastCountry: 'GB',
      lastCity: 'London',
    });

    // The sign-in's events carry the same: the history shows where and through which app.
    const history = await sut.http.get('/api/auth/history', { token: login.token });
    expect(history.body.items).toContainEqual(
      expect.objectContaining({ type: 'login.succeeded', country: 'GB', city: 'London', service: 'MyService' }),
    );

    // The account pages show it, in the page's language, escaped like any text.
    for (const path of ['/account/sessions', '/account/history']) {
      const page = await sut.http.get(`${path}?lang=de`, {
        headers: { cookie: `sa_access=${login.token}` },
        cookies: false,
      });
      expect(page.status).toBe(200);
      expect(page.text).toContain('London, Vereinigtes Königreich');
      expect(page.text).toContain('<dt>Anwendung</dt><dd>MyService</dd>');
    }

    // The same device from elsewhere: its last place moves; an IPv6 address has a country, no city.
    const again = await signInFrom(email, { 'x-forwarded-for': '2001:db8::7', 'user-agent': 'PlaceTest/1.0' });
    expect(again.session).toMatchObject({ country: 'DE', city: null, service: null });
    expect(again.devices.find((d) => d.userAgent === 'PlaceTest/1.0')).toMatchObject({
      lastCountry: 'DE',
      lastCity: null,
    });
  });

  it('should know no place for an address the database does not cover', async () => {
    const { email } = await passwordUser(sut);
    const { session } = await signInFrom(email, { 'x-forwarded-for': '10.20.30.40' });
    expect(session).toMatchObject({ country: null, city: null });
  });

  it('should keep a client name bounded and free of control characters', async () => {
    const { email } = await passwordUser(sut);
    // What an HTTP header can carry: a soft hyphen (a format character), NEL (a control), a tab, overlength.
    const hostile = `\u00adevil\u0085 \t name ${'y'.repeat(100)}`;
    const { session } = await signInFrom(email, { 'x-client-name': hostile });
    const service = session?.service as string;
    expect([...service].length).toBe(64);
    expect(service).toMatch(/^evil name y+$/);
  });
});
