import { type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Tenant-level policy; every field optional so that absent means the service default. */
export interface TenantSettings {
  allowedOtpChannels?: Array<'whatsapp' | 'sms' | 'email'>;
  passwordMinLength?: number;
  accessTokenTtl?: number;
  refreshTokenTtl?: number;
  sessionIdleTtl?: number;
  mfaRequired?: boolean;
  /** `always`: register, send-otp, forgot and login need a verified `captchaToken` (CAPTCHA_VERIFY_URL). */
  captcha?: CaptchaMode;
  /** ISO 3166-1 alpha-2 codes of the countries SMS and WhatsApp codes may go to; absent or empty = all. */
  smsCountries?: string[];
  /**
   * Phone codes: the channel tried first when the client names none, then the one that takes
   * over, once, when the first refuses the number as undeliverable or does not accept the
   * message in time (e.g. `["whatsapp", "sms"]`).
   */
  channelOrder?: PhoneChannel[];
  /** The order of SMS providers for this tenant's messages, when several are configured (failover goes down it). */
  smsProviders?: Array<'twilio' | 'vonage'>;
  /**
   * What a password or code sign-in from a country the user has not signed in from for 90 days
   * does: a security notice (default), a second factor for that sign-in, or nothing.
   */
  newPlacePolicy?: NewPlacePolicy;
  /** Branding of the hosted pages: the name shown instead of "SecureAuth", an https logo, the accent colour. */
  displayName?: string;
  logoUrl?: string;
  /** `#rrggbb`. */
  primaryColor?: string;
  /** The pages' language when neither `?lang=`, the user nor the browser chooses one (BCP 47). */
  locale?: string;
}

export const CAPTCHA_MODES = ['off', 'always'] as const;
export type CaptchaMode = (typeof CAPTCHA_MODES)[number];

export const PHONE_CHANNELS = ['whatsapp', 'sms'] as const;
export type PhoneChannel = (typeof PHONE_CHANNELS)[number];

export const NEW_PLACE_POLICIES = ['notify', 'step_up', 'off'] as const;
export type NewPlacePolicy = (typeof NEW_PLACE_POLICIES)[number];

@Entity({ tableName: 'tenant' })
export class Tenant {
  /** Chosen by the operator (`create-tenant --id`), sent by clients as X-Tenant-Id. */
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'boolean', default: true })
  isActive: boolean & Opt = true;

  @Property({ type: 'json', default: '{}' })
  settings: TenantSettings & Opt = {};

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}

export const DEFAULT_TENANT_ID = 'default';
