import { maskDestination } from './delivery-destination';
import { renderOtpMessage } from './delivery-templates';
import { nextStatus } from './delivery.service';

describe('provider events move a message forward only', () => {
  it('should move an open message to delivered, bounced or failed', () => {
    expect(nextStatus('sent', 'delivered')).toBe('delivered');
    expect(nextStatus('sending', 'bounce')).toBe('bounced');
    expect(nextStatus('sent', 'failed')).toBe('failed');
  });

  it('should never move a delivered message back to sent or failed', () => {
    expect(nextStatus('delivered', 'delivered')).toBeUndefined();
    expect(nextStatus('delivered', 'failed')).toBeUndefined();
    expect(nextStatus('delivered', 'complaint')).toBeUndefined();
  });

  it('should let a late bounce override delivered, but leave final states alone', () => {
    expect(nextStatus('delivered', 'bounce')).toBe('bounced');
    for (const final of ['bounced', 'failed', 'expired', 'suppressed'] as const) {
      expect(nextStatus(final, 'delivered')).toBeUndefined();
      expect(nextStatus(final, 'bounce')).toBeUndefined();
    }
  });
});

describe('destination masking', () => {
  it('should keep the first letter and the domain of an email', () => {
    expect(maskDestination('email', 'ada@example.com')).toBe('a***@example.com');
  });

  it('should keep only the last four digits of a phone', () => {
    expect(maskDestination('sms', '+14155550123')).toBe('+*******0123');
  });
});

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
