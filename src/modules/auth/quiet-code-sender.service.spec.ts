import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { createLogger, PinoNestLogger } from '../../common/logging/logger';
import type { OtpService } from '../otp/otp.service';
import { QuietCodeSender } from './quiet-code-sender.service';

const ctx: RequestContext = { requestId: 'req-7', ip: '127.0.0.1', userAgent: 'jest', tenantId: 'default' };

/** The service's own Nest logger, written through the app's pino logger and its redaction. */
function captureLogs(): string[] {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  Logger.overrideLogger(new PinoNestLogger(createLogger('info', stream)));
  return lines;
}

describe('QuietCodeSender', () => {
  afterEach(() => Logger.overrideLogger(false));

  it.each(['DESTINATION_UNDELIVERABLE', 'OTP_RESEND_COOLDOWN', 'TOO_MANY_REQUESTS'] as const)(
    'should log why a code was not sent (%s) where redaction leaves it readable',
    async (reason) => {
      const lines = captureLogs();
      const otp = { issue: jest.fn().mockRejectedValue(new AppException(reason)) };
      const sut = new QuietCodeSender(otp as unknown as OtpService);

      await expect(sut.send(ctx, 'ada@example.com', 'email_verify', 'user-1')).resolves.toBe(false);

      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logged).toEqual([
        expect.objectContaining({ msg: 'code not sent', purpose: 'email_verify', reason, requestId: 'req-7' }),
      ]);
      expect(lines.join('')).not.toContain('[redacted]');
    },
  );

  it('should let any other failure reach the caller, unlogged', async () => {
    const lines = captureLogs();
    const otp = { issue: jest.fn().mockRejectedValue(new AppException('SERVICE_UNAVAILABLE')) };
    const sut = new QuietCodeSender(otp as unknown as OtpService);

    await expect(sut.send(ctx, 'ada@example.com', 'password_reset', 'user-1')).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(lines).toEqual([]);
  });
});
