import type { Role } from './role';

/** The verified caller of an authenticated request, from the access token and its live session. */
export interface AuthPrincipal {
  userId: string;
  tenantId: string;
  sessionId: string;
  roles: Role[];
  /** Authentication methods of the session, e.g. ['pwd', 'otp']. */
  amr: string[];
  aal: 1 | 2;
  /** Unix seconds of the last primary authentication (for step-up checks). */
  authTime: number;
  /** How the token arrived; cookie-authenticated unsafe requests get the CSRF check. */
  via: 'bearer' | 'cookie';
}
