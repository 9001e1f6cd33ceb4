/** What a code is for; a code of one purpose never verifies another. */
export const OTP_PURPOSES = ['email_verify', 'login', 'password_reset', 'mfa_email'] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];

export const DELIVERY_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** A normalised destination: lower-cased email, or E.164 phone. */
export interface OtpDestination {
  channel: DeliveryChannel;
  address: string;
}

export interface IssueOtpResult {
  channel: DeliveryChannel;
  expiresIn: number;
  resendAfter: number;
}
