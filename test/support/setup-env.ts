/** Defaults every test process starts from; a test may override any of them before starting an app. */
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
process.env.COOKIE_SECURE = 'false';
process.env.CORS_ORIGINS = 'http://localhost:3000';
process.env.WEBAUTHN_ORIGINS = 'http://localhost:3000';
process.env.WEBAUTHN_RP_ID = 'localhost';
// Cheap argon2 in tests; the production parameters are covered by their own spec and the bench.
process.env.ARGON2_MEMORY_KIB ??= '4096';
process.env.ARGON2_TIME_COST ??= '1';
process.env.SMS_PROVIDER ??= 'log';
process.env.WHATSAPP_PROVIDER ??= 'log';
// Tests never reach the real Pwned Passwords API: the check is off unless a test turns it on
// against its local range server, and even then nothing listens at this fallback address.
process.env.BREACHED_PASSWORD_CHECK ??= 'off';
process.env.HIBP_RANGE_URL ??= 'http://127.0.0.1:9/range/';
