import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import { AppException } from '../../common/errors';
import { REDIS } from '../../common/redis/redis.constants';
import { webauthnConfig } from '../../config/webauthn.config';
import type { User } from '../users/user.entity';
import { Passkey } from './entities/passkey.entity';

/** API.md "WebAuthn": challenges live 5 minutes and are used once (GETDEL). */
export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 300;
const TIMEOUT_MS = WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000;

/** A verified new credential, not yet stored. */
export interface NewPasskey {
  id: string;
  tenantId: string;
  userId: string;
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  name: string;
  deviceType: string;
  isBackedUp: boolean;
  hasUserVerification: boolean;
  createdAt: Date;
}

export interface VerifiedAssertion {
  passkey: Passkey;
}

/** The user handle we give authenticators: the user id's bytes (a random UUID, no personal data). */
export const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

@Injectable()
export class PasskeysService {
  constructor(
    private readonly em: EntityManager,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(webauthnConfig.KEY) private readonly config: ConfigType<typeof webauthnConfig>,
    private readonly clock: Clock,
  ) {}

  listOf(userId: string, em: EntityManager = this.em): Promise<Passkey[]> {
    return em.find(Passkey, { userId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async countOf(userId: string, em: EntityManager = this.em): Promise<number> {
    return em.count(Passkey, { userId });
  }

  /** Another user's passkey is NOT_FOUND, exactly like one that does not exist. */
  async findOwned(userId: string, id: string, em: EntityManager = this.em): Promise<Passkey> {
    const passkey = /^[0-9a-f-]{36}$/i.test(id) ? await em.findOne(Passkey, { id, userId }) : null;
    if (!passkey) throw new AppException('NOT_FOUND');
    return passkey;
  }

  async registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.listOf(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: user.email ?? user.phone ?? user.id,
      userID: userHandleOf(user.id),
      attestationType: 'none',
      timeout: TIMEOUT_MS,
      excludeCredentials: existing.map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports as AuthenticatorTransport[],
      })),
      // Discoverable when the authenticator can, so the same passkey also serves passwordless login.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    // One pending registration per user: new options replace the previous challenge.
    await this.redis.set(this.registrationKey(user.id), options.challenge, 'EX', WEBAUTHN_CHALLENGE_TTL_SECONDS);
    return options;
  }

  /** Null when the response does not verify (wrong origin, RP id, challenge, flags or signature). */
  async verifyRegistration(user: User, name: string, response: RegistrationResponseJSON): Promise<NewPasskey | null> {
    const challenge = await this.redis.getdel(this.registrationKey(user.id));
    if (!challenge) return null;
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.config.origins,
        expectedRPID: this.config.rpId,
        requireUserPresence: true,
        requireUserVerification: false,
      });
    } catch {
      return null;
    }
    if (!verification.verified) return null;
    const { credential, credentialDeviceType, credentialBackedUp, userVerified } = verification.registrationInfo;
    return {
      id: randomUUID(),
      tenantId: user.tenantId,
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? response.response.transports ?? [],
      name,
      deviceType: credentialDeviceType,
      isBackedUp: credentialBackedUp,
      hasUserVerification: userVerified,
      createdAt: this.clock.now(),
    };
  }

  /** Inserts the verified credential; a credential id registered before (by anyone) is CONFLICT. */
  async insert(passkey: NewPasskey, em: EntityManager): Promise<void> {
    try {
      await em.insert(Passkey, passkey);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new AppException('CONFLICT');
      throw error;
    }
  }

  /**
   * Request options with a fresh single-use challenge stored under `challengeKey`. With
   * `userId`, only that user's passkeys are allowed; without, any discoverable credential.
   */
  async authenticationOptions(challengeKey: string, userId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowCredentials = userId
      ? (await this.listOf(userId)).map((passkey) => ({
          id: passkey.credentialId,
          transports: passkey.transports as AuthenticatorTransport[],
        }))
      : undefined;
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      allowCredentials,
      userVerification: 'preferred',
      timeout: TIMEOUT_MS,
    });
    await this.redis.set(challengeKey, options.challenge, 'EX', WEBAUTHN_CHALLENGE_TTL_SECONDS);
    return options;
  }

  /**
   * Options for passwordless login: no allowCredentials (the authenticator offers its
   * discoverable credentials), identical for every caller. The challenge is the key itself.
   * User verification is required: the passkey is then both factors, not just one.
   */
  async discoverableOptions(tenantId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      userVerification: 'required',
      timeout: TIMEOUT_MS,
    });
    await this.redis.set(this.loginKey(tenantId, options.challenge), '1', 'EX', WEBAUTHN_CHALLENGE_TTL_SECONDS);
    return options;
  }

  /** The challenge a passwordless response answers, if we issued it and nobody used it yet. */
  async takeDiscoverableChallenge(tenantId: string, response: AuthenticationResponseJSON): Promise<string | null> {
    let challenge: unknown;
    try {
      const clientData = response?.response?.clientDataJSON;
      if (typeof clientData !== 'string' || clientData.length > 4096) return null;
      challenge = (JSON.parse(Buffer.from(clientData, 'base64url').toString('utf8')) as { challenge?: unknown })
        .challenge;
    } catch {
      return null;
    }
    if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return null;
    return (await this.redis.getdel(this.loginKey(tenantId, challenge))) ? challenge : null;
  }

  /** Takes the challenge stored under `challengeKey` (single use) and answers it, or null. */
  async takeChallenge(challengeKey: string): Promise<string | null> {
    return this.redis.getdel(challengeKey);
  }

  /**
   * Verifies an assertion against a challenge already taken from Redis. `expectedUserId`
   * restricts it to one user's passkeys (second factor); passwordless login checks the
   * user handle instead, and needs user verification both now and at registration: a key
   * that only proves presence is something the user has, one factor, whoever holds it.
   * Null for anything that does not verify, unknown credentials included.
   */
  async verifyAssertion(
    tenantId: string,
    challenge: string,
    response: AuthenticationResponseJSON,
    expected: { userId: string } | { userHandle: true },
  ): Promise<VerifiedAssertion | null> {
    if (typeof response?.id !== 'string' || response.id.length > 1024) return null;
    const passkey = await this.em.findOne(Passkey, { credentialId: response.id, tenantId });
    if (!passkey) return null;
    if ('userId' in expected && passkey.userId !== expected.userId) return null;
    const isPasswordless = 'userHandle' in expected;
    if (isPasswordless) {
      const handle = response.response?.userHandle;
      if (typeof handle !== 'string' || Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) {
        return null;
      }
      if (!passkey.hasUserVerification) return null;
    }
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.config.origins,
        expectedRPID: this.config.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        // A second factor needs presence only (always enforced by the library); signing in alone needs UV.
        requireUserVerification: isPasswordless,
      });
    } catch {
      return null;
    }
    if (!verification.verified) return null;
    const { newCounter } = verification.authenticationInfo;
    // Compare-and-set on the counter: of two assertions racing with one counter value, one wins.
    const changed = await this.em.nativeUpdate(
      Passkey,
      newCounter === 0 ? { id: passkey.id, counter: 0 } : { id: passkey.id, counter: { $lt: newCounter } },
      { counter: newCounter, lastUsedAt: this.clock.now() },
    );
    if (changed === 0) return null;
    return { passkey };
  }

  private loginKey(tenantId: string, challenge: string): string {
    return `webauthn:login:${tenantId}:${challenge}`;
  }

  private registrationKey(userId: string): string {
    return `webauthn:reg:${userId}`;
  }
}
