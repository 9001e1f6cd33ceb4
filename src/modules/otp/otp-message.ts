import type { DeliveryChannel } from '../delivery/delivery-destination';
import { escapeHtml, type MessageContent } from '../delivery/message-content';
import { DEFAULT_LANGUAGE, type Language } from '../../common/i18n/languages';
import { messageTranslator } from '../../common/i18n/messages';
import type { OtpPurpose } from './otp.types';

/** The text and HTML of a one-time-code message; short for SMS and WhatsApp, where the text is the whole message. */
export function renderOtpMessage(
  purpose: OtpPurpose,
  channel: DeliveryChannel,
  code: string,
  ttlSeconds: number,
  language: Language = DEFAULT_LANGUAGE,
): MessageContent {
  const t = messageTranslator(language);
  const subject = t(`otp.${purpose}.subject`);
  const intro = t(`otp.${purpose}.intro`);
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  const validity = t(minutes === 1 ? 'otp.validity.one' : 'otp.validity.other', { minutes });
  const warning = t('otp.warning');
  if (channel !== 'email') {
    const text = t('otp.short', { code, validity });
    return { subject, text, html: escapeHtml(text) };
  }
  const text = `${intro}:\n\n${code}\n\n${validity}\n${warning}\n`;
  const html = [
    `<!doctype html><html lang="${language}"><body style="font-family:sans-serif">`,
    `<p>${escapeHtml(intro)}:</p>`,
    `<p style="font-size:28px;letter-spacing:6px;font-weight:bold">${escapeHtml(code)}</p>`,
    `<p>${escapeHtml(validity)}</p>`,
    `<p style="color:#666">${escapeHtml(warning)}</p>`,
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
