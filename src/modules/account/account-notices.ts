import { escapeHtml, type MessageContent } from '../delivery/message-content';

/** A security notice to the address an account had until now: it is no longer the account's. */
export function renderEmailChangedNotice(vars: { newEmail: string; at: Date }): MessageContent {
  return noticeContent(
    'Your account email was changed',
    `Your account now uses a new email address: ${vars.newEmail}.`,
    vars.at,
  );
}

export type SecurityChange =
  'password_changed' | 'password_reset' | 'factor_added' | 'factor_removed' | 'phone_changed';

const WHAT: Record<SecurityChange, { subject: string; intro: string }> = {
  password_changed: { subject: 'Your password was changed', intro: 'The password of your account was changed.' },
  password_reset: {
    subject: 'Your password was reset',
    intro: 'The password of your account was reset with an emailed code.',
  },
  factor_added: {
    subject: 'A second factor was added',
    intro: 'A second factor (an authenticator app, email codes or a passkey) was added to your account.',
  },
  factor_removed: { subject: 'A second factor was removed', intro: 'A second factor was removed from your account.' },
  phone_changed: { subject: 'Your phone number was changed', intro: 'The phone number of your account was changed.' },
};

/** A notice of a change to how the account is protected, to its verified address. */
export function renderSecurityNotice(change: SecurityChange, at: Date): MessageContent {
  const { subject, intro } = WHAT[change];
  return noticeContent(subject, intro, at);
}

/** Every security notice: what changed, when, and what to do if it was not the owner. */
function noticeContent(subject: string, intro: string, at: Date): MessageContent {
  const when = `Time: ${at.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const warning = "If this wasn't you, reset your password at once and contact your administrator.";
  const text = `${intro}\n${when}\n\n${warning}\n`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    `<p>${escapeHtml(when)}</p>`,
    `<p>${escapeHtml(warning)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
