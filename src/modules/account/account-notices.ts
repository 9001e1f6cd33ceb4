import type { Language } from '../../common/i18n/languages';
import { messageTranslator, type MessageText } from '../../common/i18n/messages';
import { escapeHtml, type MessageContent } from '../delivery/message-content';

/** A security notice to the address an account had until now: it is no longer the account's. */
export function renderEmailChangedNotice(vars: { newEmail: string; at: Date }, language: Language): MessageContent {
  const t = messageTranslator(language);
  return noticeContent(
    t,
    language,
    t('notice.email_changed.subject'),
    t('notice.email_changed.intro', { newEmail: vars.newEmail }),
    vars.at,
  );
}

export type SecurityChange =
  'password_changed' | 'password_reset' | 'factor_added' | 'factor_removed' | 'phone_changed';

/** A notice of a change to how the account is protected, to its verified address, in the owner's language. */
export function renderSecurityNotice(change: SecurityChange, at: Date, language: Language): MessageContent {
  const t = messageTranslator(language);
  return noticeContent(t, language, t(`notice.${change}.subject`), t(`notice.${change}.intro`), at);
}

/** Every security notice: what changed, when, and what to do if it was not the owner. */
function noticeContent(t: MessageText, language: Language, subject: string, intro: string, at: Date): MessageContent {
  const when = t('notice.time', { time: at.toISOString().replace('T', ' ').slice(0, 19) });
  const warning = t('notice.warning');
  const text = `${intro}\n${when}\n\n${warning}\n`;
  const html = [
    `<!doctype html><html lang="${language}"><body style="font-family:sans-serif">`,
    `<p>${escapeHtml(intro)}</p>`,
    `<p>${escapeHtml(when)}</p>`,
    `<p>${escapeHtml(warning)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
