import { escapeHtml, type MessageContent } from '../delivery/message-content';

/** Informational messages: no code to type, just news the user should hear about. */
export const NOTICE_KINDS = ['new_sign_in'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface NewSignInVars {
  deviceName: string;
  ip: string | null;
  at: Date;
}

/** The new-sign-in notice; every value comes from the client (device name, IP), so all of it is escaped. */
export function renderNewSignInNotice(vars: NewSignInVars): MessageContent {
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
