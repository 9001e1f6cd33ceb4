import type { DeliveryChannel, OtpPurpose } from '../otp/otp.types';
import type { NoticeKind } from './delivery-message.entity';

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

const PURPOSE_TEXT: Record<OtpPurpose, { subject: string; intro: string }> = {
  email_verify: { subject: 'Verify your email address', intro: 'Use this code to verify your email address' },
  login: { subject: 'Your sign-in code', intro: 'Use this code to sign in' },
  password_reset: { subject: 'Reset your password', intro: 'Use this code to reset your password' },
  mfa_email: { subject: 'Your verification code', intro: 'Use this code to finish signing in' },
};

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The text and HTML of a one-time-code message; short for SMS and WhatsApp, where the text is the whole message. */
export function renderOtpMessage(
  purpose: OtpPurpose,
  channel: DeliveryChannel,
  code: string,
  ttlSeconds: number,
): RenderedMessage {
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

export interface NewSignInVars {
  deviceName: string;
  ip: string | null;
  at: Date;
}

/** A notice's text and HTML; every value comes from the client (device name, IP), so all of it is escaped. */
export function renderNoticeMessage(kind: NoticeKind, vars: NewSignInVars): RenderedMessage {
  switch (kind) {
    case 'new_sign_in':
      return renderNewSignIn(vars);
  }
}

function renderNewSignIn(vars: NewSignInVars): RenderedMessage {
  const subject = 'New sign-in to your account';
  const intro = 'Your account was just signed in to from a new device.';
  const facts: Array<[string, string]> = [
    ['Device', vars.deviceName],
    ['IP address', vars.ip ?? 'unknown'],
    ['Time', `${vars.at.toISOString().replace('T', ' ').slice(0, 19)} UTC`],
  ];
  const warning = "If this wasn't you, change your password and sign out other sessions.";
  const text = `${intro}\n\n${facts.map(([label, value]) => `${label}: ${value}`).join('\n')}\n\n${warning}\n`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    '<ul>',
    ...facts.map(([label, value]) => `<li>${escapeHtml(label)}: <strong>${escapeHtml(value)}</strong></li>`),
    '</ul>',
    `<p>${escapeHtml(warning)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
