import { Writable } from 'node:stream';
import { createLogger, lazyChildLoggerFactory } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('log redaction', () => {
  it('should never write passwords, codes, tokens or cookies, at the top level or nested', () => {
    const { logger, lines } = capture();
    logger.info({
      password: 'hunter2-secret',
      otp: '123456',
      refreshToken: 'rt-secret-value',
      body: { newPassword: 'n3w-secret', code: '654321', mfaToken: 'mfa-secret' },
      req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sa_refresh=cookie-secret' } },
      msg: 'login attempt',
    });
    const line = lines.join('');
    for (const secret of [
      'hunter2-secret',
      '123456',
      'rt-secret-value',
      'n3w-secret',
      '654321',
      'mfa-secret',
      'abc.def.ghi',
      'cookie-secret',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
    expect(line).toContain('login attempt');
  });

  it("should keep the reason a code was not sent (QuietCodeSender's `reason`), never a `code`", () => {
    const { logger, lines } = capture();
    logger.info({ msg: 'code not sent', purpose: 'login', reason: 'DESTINATION_UNDELIVERABLE', code: '123456' });
    expect(JSON.parse(lines[0])).toMatchObject({ reason: 'DESTINATION_UNDELIVERABLE', code: '[redacted]' });
  });

  it('should keep fields that are not secrets', () => {
    const { logger, lines } = capture();
    logger.info({ email: 'ada@example.com', requestId: 'r-1' }, 'hello');
    expect(JSON.parse(lines[0])).toMatchObject({
      email: 'ada@example.com',
      requestId: 'r-1',
      msg: 'hello',
      level: 'info',
    });
  });
});

describe('per-request logger (lazyChildLoggerFactory)', () => {
  it('should write with the request binding and redaction, and drop lines below the level', () => {
    const { logger, lines } = capture();
    const requestLogger = lazyChildLoggerFactory(logger, { reqId: 'req-42' }, {});
    requestLogger.debug({ msg: 'below the level' });
    expect(lines).toHaveLength(0);
    requestLogger.error({ token: 'tok-secret', msg: 'failed' });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ reqId: 'req-42', level: 'error', msg: 'failed', token: '[redacted]' });
  });

  it("should apply a route's own level, and the server's when the route has none (Fastify passes level '')", () => {
    const { logger, lines } = capture();
    lazyChildLoggerFactory(logger, { reqId: 'r1' }, { level: '' }).info({ msg: 'server level' });
    lazyChildLoggerFactory(logger, { reqId: 'r2' }, { level: 'warn' }).info({ msg: 'below the route level' });
    lazyChildLoggerFactory(logger, { reqId: 'r3' }, { level: 'debug' }).debug({ msg: 'route level' });
    expect(lines.map((line) => (JSON.parse(line) as { reqId: string }).reqId)).toEqual(['r1', 'r3']);
  });

  it('should follow a level set on it later', () => {
    const { logger, lines } = capture();
    const requestLogger = lazyChildLoggerFactory(logger, { reqId: 'req-7' }, {});
    requestLogger.level = 'debug';
    requestLogger.debug({ msg: 'now visible' });
    expect(lines).toHaveLength(1);
    expect(logger.level).toBe('info');
  });
});
