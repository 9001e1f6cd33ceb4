import { normalizePhone } from '../../src/modules/otp/phone-number';

let counter = 0;
const exchange = 200 + Math.floor(Math.random() * 700);
const lineBase = Math.floor(Math.random() * 10_000);

/** A valid US number in E.164, different on every call within a test file. */
export function uniquePhone(): string {
  for (;;) {
    counter++;
    const line = String((lineBase + counter) % 10_000).padStart(4, '0');
    const phone = normalizePhone(`+1415${exchange}${line}`);
    if (phone) return phone;
  }
}

export function uniqueEmail(label = 'user'): string {
  counter++;
  return `${label}-${Date.now().toString(36)}-${counter}@example.com`;
}
