import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signed timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + rawBody)>` */
export function signGenericWebhook(secret: string, timestamp: number, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export type SignatureCheck = { valid: true; signature: string } | { valid: false; reason: string };

/**
 * Checks the generic webhook signature over the exact bytes received. Several v1 values are
 * accepted (secret rotation: the sender signs with old and new). The matching signature is
 * returned so that a replay of the same event can be recognised.
 */
export function verifyGenericWebhook(
  header: string | undefined,
  rawBody: Buffer | undefined,
  secret: string,
  nowSeconds: number,
): SignatureCheck {
  if (!header || !rawBody) return { valid: false, reason: 'missing signature or body' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value.toLowerCase());
  }
  if (timestamp === undefined || candidates.length === 0) return { valid: false, reason: 'malformed signature' };
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS)
    return { valid: false, reason: 'stale timestamp' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex'));
  const match = candidates.find((candidate) => timingSafeEqual(Buffer.from(candidate), expected));
  return match ? { valid: true, signature: match } : { valid: false, reason: 'signature mismatch' };
}

/**
 * Twilio's request signature: base64 HMAC-SHA1(auth token, full URL + every POST parameter
 * name and value, sorted by name, concatenated).
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const value = params[key];
      const values = Array.isArray(value) ? [...value].sort() : [value];
      return acc + values.map((item) => key + item).join('');
    }, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function verifyTwilioSignature(
  header: string | undefined,
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
