import { escapeHtml, type MessageContent } from '../delivery/message-content';

/** A security notice to the address an account had until now: it is no longer the account's. */
export function renderEmailChangedNotice(vars: { newEmail: string; at: Date }): MessageContent {
  const subject = 'Your account email was changed';
  const intro = `Your account now uses a new email address: ${vars.newEmail}.`;
  const when = `Time: ${vars.at.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
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
