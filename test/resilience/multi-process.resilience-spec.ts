import type { HttpClient } from '../support/http-client';
import type { ServiceProcess } from '../support/service-process';
import { Deployment, expectErrorShape } from './deployment';

/**
 * RUNTIME.md: "Any number of API and worker processes can run against the same PostgreSQL
 * and Redis: nothing that decides a security outcome lives in one process's memory."
 */
describe('two API processes on the same PostgreSQL and Redis', () => {
  let deployment: Deployment;
  let first: ServiceProcess;
  let second: ServiceProcess;
  let a: HttpClient;
  let b: HttpClient;

  beforeAll(async () => {
    deployment = await Deployment.create();
    [first, second] = await Promise.all([deployment.start('api'), deployment.start('api')]);
    a = first.http();
    b = second.http();
  });

  afterAll(async () => {
    await deployment?.close();
  });

  it('should refuse on the other process, on the very next request, a session revoked by logout on one', async () => {
    const user = await deployment.signIn(a);
    // Both processes have verified (and may have cached) this token.
    expect((await a.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
    expect((await b.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);

    expect((await a.post('/api/auth/logout', undefined, { token: user.accessToken })).status).toBe(204);

    expectErrorShape(await b.get('/api/auth/me', { token: user.accessToken }), 401, 'UNAUTHORIZED');
    expectErrorShape(await a.get('/api/auth/me', { token: user.accessToken }), 401, 'UNAUTHORIZED');
  });

  it('should refuse on the other process a session revoked remotely (DELETE /api/auth/sessions/:id) on one', async () => {
    const user = await deployment.signIn(a);
    const other = await deployment.signInAgain(b, user);
    expect((await b.get('/api/auth/me', { token: other.accessToken })).status).toBe(200);

    const revoke = await a.delete(`/api/auth/sessions/${other.sessionId}`, { token: user.accessToken });
    expect(revoke.status).toBe(204);

    expectErrorShape(await b.get('/api/auth/me', { token: other.accessToken }), 401, 'UNAUTHORIZED');
    expect((await b.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
  });

  it('should let a token signed by one process be accepted by the other (shared signing keys)', async () => {
    const user = await deployment.signIn(b);
    expect((await a.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
  });
});
