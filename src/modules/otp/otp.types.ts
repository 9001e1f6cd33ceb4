import type { DeliveryChannel, DeliveryDestination } from '../delivery/delivery-destination';

/** What a code is for; a code of one purpose never verifies another. */
export const OTP_PURPOSES = [
  'email_verify',
  'login',
  'password_reset',
  'mfa_email',
  'email_change',
  'phone_change',
] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];

/** Where a code goes: any destination delivery can reach. */
export type OtpDestination = DeliveryDestination;

export interface IssueOtpResult {
  channel: DeliveryChannel;
  /** The channel that sends the same code if the first cannot (tenant `channelOrder`). */
  fallbackChannel?: DeliveryChannel;
  expiresIn: number;
  resendAfter: number;
}
