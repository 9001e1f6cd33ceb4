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

describe('OTP messages in German', () => {
  it('should write the email and the short text in German, the code untouched', () => {
    const email = renderOtpMessage('login', 'email', '042137', 60, 'de');
    expect(email.subject).toBe('Ihr Anmeldecode');
    expect(email.text).toMatch(/^042137$/m);
    expect(email.text).toContain('Er läuft in 1 Minute ab.');
    expect(email.html).toContain('<html lang="de">');
    const sms = renderOtpMessage('login', 'whatsapp', '123456', 300, 'de');
    expect(sms.text).toBe('SecureAuth: 123456 ist Ihr Code. Er läuft in 5 Minuten ab. Geben Sie ihn nicht weiter.');
    expect(sms.text.length).toBeLessThan(160);
  });
});
