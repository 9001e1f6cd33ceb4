import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

export const pagesConfig = registerAs('pages', () => {
  const env = new EnvReader();
  const returnToOrigins = env.list('RETURN_TO_ORIGINS', []).map((value) => {
    try {
      const origin = new URL(value).origin;
      if (origin === 'null') throw new Error('opaque origin');
      return origin;
    } catch {
      throw new ConfigError('RETURN_TO_ORIGINS', `${value} is not an origin (scheme://host[:port])`);
    }
  });
  return {
    /** Origins a hosted page may send the browser back to after sign-in; the service's own is always allowed. */
    returnToOrigins,
  };
});

export type PagesConfig = ReturnType<typeof pagesConfig>;
