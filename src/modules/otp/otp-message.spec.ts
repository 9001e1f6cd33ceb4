import { renderOtpMessage } from './otp-message';

describe('OTP message templates', () => {
  it('should put the code alone on a line of the email text and in the HTML', () => {
    const message = renderOtpMessage('password_reset', 'email', '042137', 600);
    expect(message.text).toMatch(/^042137$/m);
    expect(message.html).toContain('042137');
    expect(message.text).toContain('10 minutes');
    expect(message.subject).toBe('Reset your password');
  });

  it('should keep SMS and WhatsApp messages short', () => {
    const message = renderOtpMessage('login', 'sms', '123456', 300);
    expect(message.text.length).toBeLessThan(160);
    expect(message.text).toContain('123456');
  });
});
