export const DELIVERY_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** A normalised destination: lower-cased email, or E.164 phone. */
export interface DeliveryDestination {
  channel: DeliveryChannel;
  address: string;
}

/** What admins see instead of an address: enough to recognise it, not enough to harvest it. */
export function maskDestination(channel: DeliveryChannel, address: string): string {
  if (channel === 'email') {
    const at = address.lastIndexOf('@');
    if (at <= 0) return '***';
    const local = address.slice(0, at);
    return `${local[0]}***@${address.slice(at + 1)}`.slice(0, 64);
  }
  const digits = address.replace(/\D/g, '');
  const tail = digits.slice(-4);
  return `+${'*'.repeat(Math.max(0, digits.length - tail.length))}${tail}`;
}
