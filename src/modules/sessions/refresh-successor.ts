import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The refresh reuse grace window answers a racing replay of a rotated token with the very
 * token that replaced it, so that token has to be recoverable for a few seconds. It is kept
 * sealed (AES-256-GCM) under a key derived from the server's ENCRYPTION_KEY *and the rotated
 * token itself*: the database holds only the rotated token's SHA-256, so a database dump, even
 * with the server key, opens nothing; only a client presenting the rotated token does, and
 * that is exactly who the grace window answers. The session id is bound as additional data:
 * a seal copied onto another session does not open.
 *
 * Why not derive the successor from the old token with an HMAC instead (nothing stored)?
 * Then the server key and any one old token, from a log or a backup, would give every later
 * token of that session forever. A random successor sealed per rotation keeps rotations
 * independent: each seal is overwritten by the next rotation and cleared by revocation.
 */
const INFO = Buffer.from('secureauth refresh successor v1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

function sealingKey(serverKey: Buffer, rotatedToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(rotatedToken), serverKey, INFO, 32));
}

/** `iv ‖ tag ‖ ciphertext` of `successor`, openable only with `rotatedToken`. */
export function sealSuccessor(serverKey: Buffer, rotatedToken: string, sessionId: string, successor: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(serverKey, rotatedToken), iv);
  cipher.setAAD(Buffer.from(sessionId));
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The sealed successor, or null when `presentedToken` (or the server key, or the session) is not the one it was sealed with. */
export function openSuccessor(
  serverKey: Buffer,
  presentedToken: string,
  sessionId: string,
  sealed: Buffer,
): string | null {
  if (sealed.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      sealingKey(serverKey, presentedToken),
      sealed.subarray(0, IV_BYTES),
    );
    decipher.setAAD(Buffer.from(sessionId));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
