import { domainToASCII, domainToUnicode } from 'node:url';
import isEmail from 'validator/lib/isEmail';
import { isWellFormedUnicode } from './well-formed-unicode';

export const EMAIL_MAX_LENGTH = 320;

/** C0 and C1 control characters, DEL included: CR/LF inject mail headers, NUL truncates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The one spelling of an email address the service stores, compares, hashes for suppression
 * and sends to; undefined when the text has none (it is then refused with 400):
 *
 * - surrounding spaces dropped; control characters and lone surrogates refused;
 * - quoted local parts (`"ada"@…`) and backslashes refused: they let one mailbox be written
 *   many ways, and many mail systems read them differently;
 * - the local part in Unicode NFC, lower-cased;
 * - the domain as lower-case ASCII (IDNA/punycode, `node:url` domainToASCII): `exämple.com`,
 *   `EXÄMPLE.COM`, a decomposed `ä`, full-width letters and `xn--exmple-cua.com` are one domain.
 */
export function canonicalEmail(raw: string): string | undefined {
  if (raw.length > EMAIL_MAX_LENGTH * 2 || CONTROL_CHARACTER.test(raw) || !isWellFormedUnicode(raw)) return undefined;
  const text = raw.trim().normalize('NFC');
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1) return undefined;
  const local = text.slice(0, at).toLowerCase().normalize('NFC');
  if (local.includes('"') || local.includes('\\')) return undefined;
  const domain = domainToASCII(text.slice(at + 1));
  if (domain === '' || !isDecodablePunycode(domain)) return undefined;
  const email = `${local}@${domain}`;
  if (email.length > EMAIL_MAX_LENGTH) return undefined;
  return isEmail(email, { allow_utf8_local_part: true, require_tld: true, allow_ip_domain: false }) ? email : undefined;
}

/**
 * Node 20's domainToASCII refused an `xn--` label that does not decode; Node 24's (ada) passes it
 * through. Such a label stays `xn--` after decoding, or does not come back the same.
 */
function isDecodablePunycode(asciiDomain: string): boolean {
  const unicode = domainToUnicode(asciiDomain);
  return !unicode.split('.').some((label) => label.startsWith('xn--')) && domainToASCII(unicode) === asciiDomain;
}
