import type { Language } from '../../common/i18n/languages';
import { messageTranslator } from '../../common/i18n/messages';
import { formatPlace } from '../../common/i18n/places';
import { escapeHtml, type MessageContent } from '../delivery/message-content';

/** Informational messages: no code to type, just news the user should hear about. */
export const NOTICE_KINDS = ['new_sign_in', 'new_place'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface SignInNoticeVars {
  deviceName: string;
  ip: string | null;
  at: Date;
  /** Where the sign-in came from, when the GeoIP database knows. */
  city?: string | null;
  countryCode?: string | null;
}

/**
 * A sign-in the user should hear about: from a new device (`new_sign_in`) or from a country
 * not seen for the account in 90 days (`new_place`). Every value comes from the client or its
 * address (device name, IP, place), so all of it is escaped.
 */
export function renderSignInNotice(kind: NoticeKind, vars: SignInNoticeVars, language: Language): MessageContent {
  const t = messageTranslator(language);
  const place = formatPlace(vars.city, vars.countryCode, language);
  const subject = t(`notice.${kind}.subject`);
  const intro = t(`notice.${kind}.intro`, { place });
  const facts: Array<[string, string]> = [
    ...(place ? [[t('notice.new_sign_in.place'), place] as [string, string]] : []),
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
