import { Writable } from 'node:stream';
import { createLogger } from './logger';

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
