import { maskDestination } from './delivery-destination';
import { nextStatus } from './webhooks/provider-events.service';

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
