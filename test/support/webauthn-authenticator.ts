import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

interface StoredCredential {
  id: Buffer;
  privateKey: KeyObject;
  cose: Uint8Array;
  counter: number;
  userHandle: string;
  rpId: string;
}

/** Ways a test bends one ceremony to attack the server. */
export interface CeremonyOverrides {
  origin?: string;
  challenge?: string;
  /** User presence (default true) and user verification (default: whether the authenticator verifies users). */
  up?: boolean;
  uv?: boolean;
  /** The signature counter to report (default: previous + 1). */
  counter?: number;
  /** Register with this credential id (e.g. one already registered). */
  credentialId?: Buffer;
  /** Use this credential for an assertion instead of the first allowed one. */
  credential?: string;
  /** Send this user handle instead of the stored one. */
  userHandle?: string;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

/**
 * A software FIDO2 authenticator: ES256 keys from node:crypto, 'none' attestation, real CBOR
 * (the library's own encoder), real signatures over authenticatorData || SHA-256(clientDataJSON).
 * It plays both the authenticator and the browser (clientDataJSON with the origin).
 */
export class SoftwareAuthenticator {
  readonly credentials = new Map<string, StoredCredential>();

  /**
   * `verifiesUser: false` is a plain security key (touch only, no PIN or biometrics): it sets
   * the UV flag on no ceremony unless a test forces it with `uv`.
   */
  constructor(
    readonly origin = 'http://localhost:3000',
    readonly capabilities: { verifiesUser: boolean } = { verifiesUser: true },
  ) {}

  create(options: PublicKeyCredentialCreationOptionsJSON, overrides: CeremonyOverrides = {}): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const id = overrides.credentialId ?? randomBytes(32);
    const counter = overrides.counter ?? 0;
    const lengthBytes = Buffer.alloc(2);
    lengthBytes.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      this.authDataHeader(rpId, overrides, FLAG_AT, counter),
      Buffer.alloc(16), // AAGUID: zero for 'none' attestation
      lengthBytes,
      id,
      Buffer.from(cose),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const clientDataJSON = this.clientData('webauthn.create', overrides.challenge ?? options.challenge, overrides);
    this.credentials.set(b64url(id), {
      id,
      privateKey,
      cose,
      counter,
      userHandle: options.user.id,
      rpId,
    });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
    };
  }

  get(options: PublicKeyCredentialRequestOptionsJSON, overrides: CeremonyOverrides = {}): AuthenticationResponseJSON {
    const allowed = options.allowCredentials?.map((credential) => credential.id);
    const id =
      overrides.credential ??
      allowed?.find((candidate) => this.credentials.has(candidate)) ??
      [...this.credentials.keys()][0];
    const credential = this.credentials.get(id);
    if (!credential) throw new Error('the authenticator holds no usable credential');
    const counter = overrides.counter ?? credential.counter + 1;
    credential.counter = Math.max(credential.counter, counter);
    const authData = this.authDataHeader(options.rpId ?? credential.rpId, overrides, 0, counter);
    const clientDataJSON = this.clientData('webauthn.get', overrides.challenge ?? options.challenge, overrides);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id,
      rawId: id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: overrides.userHandle ?? credential.userHandle,
      },
    };
  }

  private authDataHeader(rpId: string, overrides: CeremonyOverrides, extraFlags: number, counter: number): Buffer {
    const userVerified = overrides.uv ?? this.capabilities.verifiesUser;
    const flags = (overrides.up === false ? 0 : FLAG_UP) | (userVerified ? FLAG_UV : 0) | extraFlags;
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counterBytes]);
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({ type, challenge, origin: overrides.origin ?? this.origin, crossOrigin: false }),
    );
  }
}
