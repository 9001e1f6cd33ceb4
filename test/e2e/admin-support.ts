import { randomUUID } from 'node:crypto';
import { runCli } from '../../src/cli/cli-runner';
import type { Role } from '../../src/modules/users/user.entity';
import type { TestApp } from '../support/test-app';
import { createUser } from '../support/factories';
import { startSession } from './sessions-support';

export { startSession } from './sessions-support';
export {
  createOidcClient,
  createSuppression,
  createTenant,
  createUser,
  createWebhookDelivery,
  createWebhookEndpoint,
} from '../support/factories';

export interface SignedIn {
  id: string;
  email: string;
  tenantId: string;
  token: string;
  sessionId: string;
}

/** A user with the given roles, signed in (a live session and its access token). */
export async function signedInAs(
  sut: TestApp,
  roles: Role[],
  overrides: { tenantId?: string; isPlatformAdmin?: boolean } = {},
): Promise<SignedIn> {
  const user = await createUser(sut, { roles, tenantId: overrides.tenantId ?? 'default', ...overrides });
  const session = await startSession(sut, user);
  return {
    id: user.id,
    email: user.email!,
    tenantId: user.tenantId,
    token: session.accessToken,
    sessionId: session.sessionId,
  };
}

export const tenantHeader = (tenantId: string) => ({ 'x-tenant-id': tenantId });

/** The CLI in-process against the test app's database and Redis prefix; returns its exit code and output. */
export async function cli(sut: TestApp, argv: string[]): Promise<{ code: number; output: string }> {
  const env: Record<string, string> = {
    DATABASE_URL: sut.resources.databaseUrl,
    REDIS_PREFIX: sut.resources.redisPrefix,
  };
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    const code = await runCli(argv).catch((failure: unknown) => {
      lines.push(failure instanceof Error ? failure.message : String(failure));
      return 1;
    });
    return { code, output: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

export const unknownId = () => randomUUID();
