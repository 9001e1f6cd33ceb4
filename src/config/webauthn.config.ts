import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const webauthnConfig = registerAs('webauthn', () => {
  const env = new EnvReader();
  return {
    rpId: env.string('WEBAUTHN_RP_ID', 'localhost'),
    rpName: env.string('WEBAUTHN_RP_NAME', 'SecureAuth'),
    origins: env.list('WEBAUTHN_ORIGINS', ['http://localhost:3000']),
  };
});

export type WebauthnConfig = ReturnType<typeof webauthnConfig>;
