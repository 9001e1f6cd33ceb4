import { classifyVonageStatus, isGsm7 } from './vonage-sms.transport';

describe('Vonage SMS API', () => {
  it.each([
    ['1', 'temporary'], // Throttled
    ['5', 'temporary'], // Internal Error
    ['7', 'bounce'], // Number Barred: that number never receives
    ['2', 'rejected'],
    ['3', 'rejected'],
    ['4', 'rejected'], // our credentials: no retry will fix them, and the number is not to blame
    ['6', 'rejected'],
    ['9', 'rejected'],
    ['29', 'rejected'],
    ['99', 'temporary'], // unknown: tried again, never blamed on the number
  ])('should read status %s as %s', (status, kind) => {
    const error = classifyVonageStatus(status, 'text');
    expect(error.kind).toBe(kind);
    expect(error.providerCode).toBe(status);
  });

  it('should ask for unicode only when the text leaves the GSM alphabet', () => {
    expect(isGsm7('SecureAuth: 123456 is your code. It expires in 5 minutes.')).toBe(true);
    expect(isGsm7('Ihr Code: 123456 – gültig 5 Minuten')).toBe(false); // the en dash
    expect(isGsm7('Votre code: 123456 (à usage unique)')).toBe(true);
    expect(isGsm7('Код: 123456')).toBe(false);
  });
});
