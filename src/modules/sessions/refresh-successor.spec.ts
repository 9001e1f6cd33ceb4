import { randomBytes, randomUUID } from 'node:crypto';
import { openSuccessor, sealSuccessor } from './refresh-successor';
import { newRefreshToken } from './session-token';

describe('sealed refresh successor', () => {
  const serverKey = randomBytes(32);
  const sessionId = randomUUID();
  const rotated = newRefreshToken(sessionId).token;
  const successor = newRefreshToken(sessionId).token;

  it('should open with the rotated token it was sealed under', () => {
    const sut = sealSuccessor(serverKey, rotated, sessionId, successor);
    expect(openSuccessor(serverKey, rotated, sessionId, sut)).toBe(successor);
  });

  it('should not contain the successor, its secret or the rotated token in clear', () => {
    const sut = sealSuccessor(serverKey, rotated, sessionId, successor).toString('latin1');
    const secret = successor.split('.')[1];
    expect(sut).not.toContain(secret);
    expect(sut).not.toContain(Buffer.from(secret, 'base64url').toString('latin1'));
    expect(sut).not.toContain(rotated.split('.')[1]);
  });

  it('should not open with another token of the same session', () => {
    const sut = sealSuccessor(serverKey, rotated, sessionId, successor);
    expect(openSuccessor(serverKey, successor, sessionId, sut)).toBeNull();
    expect(openSuccessor(serverKey, newRefreshToken(sessionId).token, sessionId, sut)).toBeNull();
  });

  it('should not open with another server key, nor for another session', () => {
    const sut = sealSuccessor(serverKey, rotated, sessionId, successor);
    expect(openSuccessor(randomBytes(32), rotated, sessionId, sut)).toBeNull();
    expect(openSuccessor(serverKey, rotated, randomUUID(), sut)).toBeNull();
  });

  it('should refuse a tampered or truncated seal', () => {
    const sut = sealSuccessor(serverKey, rotated, sessionId, successor);
    const tampered = Buffer.from(sut);
    tampered[tampered.length - 1] ^= 1;
    expect(openSuccessor(serverKey, rotated, sessionId, tampered)).toBeNull();
    expect(openSuccessor(serverKey, rotated, sessionId, sut.subarray(0, 28))).toBeNull();
    expect(openSuccessor(serverKey, rotated, sessionId, Buffer.alloc(0))).toBeNull();
  });

  it('should seal the same successor differently each time (random IV)', () => {
    const first = sealSuccessor(serverKey, rotated, sessionId, successor);
    const second = sealSuccessor(serverKey, rotated, sessionId, successor);
    expect(first.equals(second)).toBe(false);
  });
});
