import type { Language } from '../../common/i18n/languages';
import { messageTranslator } from '../../common/i18n/messages';
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
export function renderNewSignInNotice(vars: NewSignInVars, language: Language): MessageContent {
  const t = messageTranslator(language);
  const subject = t('notice.new_sign_in.subject');
  const intro = t('notice.new_sign_in.intro');
  const facts: Array<[string, string]> = [
    [t('notice.new_sign_in.device'), vars.deviceName],
    [t('notice.new_sign_in.ip'), vars.ip ?? t('notice.new_sign_in.unknownIp')],
    [t('notice.new_sign_in.time'), `${vars.at.toISOString().replace('T', ' ').slice(0, 19)} UTC`],
  ];
  const warning = t('notice.new_sign_in.warning');
  const text = `${intro}\n\n${facts.map(([label, value]) => `${label}: ${value}`).join('\n')}\n\n${warning}\n`;
  const html = [
    `<!doctype html><html lang="${language}"><body style="font-family:sans-serif">`,
    `<p>${escapeHtml(intro)}</p>`,
    '<ul>',
    ...facts.map(([label, value]) => `<li>${escapeHtml(label)}: <strong>${escapeHtml(value)}</strong></li>`),
    '</ul>',
    `<p>${escapeHtml(warning)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
