import type { DeliveryChannel } from '../delivery/delivery-destination';
import { escapeHtml, type MessageContent } from '../delivery/message-content';
import type { OtpPurpose } from './otp.types';

const PURPOSE_TEXT: Record<OtpPurpose, { subject: string; intro: string }> = {
  email_verify: { subject: 'Verify your email address', intro: 'Use this code to verify your email address' },
  login: { subject: 'Your sign-in code', intro: 'Use this code to sign in' },
  password_reset: { subject: 'Reset your password', intro: 'Use this code to reset your password' },
  mfa_email: { subject: 'Your verification code', intro: 'Use this code to finish signing in' },
  email_change: { subject: 'Confirm your new email address', intro: 'Use this code to make this your account address' },
  phone_change: { subject: 'Confirm your phone number', intro: 'Use this code to add this number to your account' },
};

/** The text and HTML of a one-time-code message; short for SMS and WhatsApp, where the text is the whole message. */
export function renderOtpMessage(
  purpose: OtpPurpose,
  channel: DeliveryChannel,
  code: string,
  ttlSeconds: number,
): MessageContent {
  const { subject, intro } = PURPOSE_TEXT[purpose];
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  const validity = `It expires in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  const warning = 'If you did not ask for it, ignore this message and never share the code.';
  if (channel !== 'email') {
    const text = `SecureAuth: ${code} is your code. ${validity} Do not share it.`;
    return { subject, text, html: escapeHtml(text) };
  }
  const text = `${intro}:\n\n${code}\n\n${validity}\n${warning}\n`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}:</p>`,
    `<p style="font-size:28px;letter-spacing:6px;font-weight:bold">${escapeHtml(code)}</p>`,
    `<p>${escapeHtml(validity)}</p>`,
    `<p style="color:#666">${escapeHtml(warning)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
