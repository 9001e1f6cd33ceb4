import type { Language } from './languages';

/**
 * Every text of an email, SMS or WhatsApp message, by language. `{name}` marks a value filled
 * in by `messageTranslator`. German is typed against English: a key missing from a language
 * does not compile (and page-i18n's test checks the pages' JSON catalogues the same way).
 */
const en = {
  'otp.email_verify.subject': 'Verify your email address',
  'otp.email_verify.intro': 'Use this code to verify your email address',
  'otp.login.subject': 'Your sign-in code',
  'otp.login.intro': 'Use this code to sign in',
  'otp.password_reset.subject': 'Reset your password',
  'otp.password_reset.intro': 'Use this code to reset your password',
  'otp.mfa_email.subject': 'Your verification code',
  'otp.mfa_email.intro': 'Use this code to finish signing in',
  'otp.email_change.subject': 'Confirm your new email address',
  'otp.email_change.intro': 'Use this code to make this your account address',
  'otp.phone_change.subject': 'Confirm your phone number',
  'otp.phone_change.intro': 'Use this code to add this number to your account',
  'otp.validity.one': 'It expires in {minutes} minute.',
  'otp.validity.other': 'It expires in {minutes} minutes.',
  'otp.warning': 'If you did not ask for it, ignore this message and never share the code.',
  'otp.short': 'SecureAuth: {code} is your code. {validity} Do not share it.',

  'notice.time': 'Time: {time} UTC',
  'notice.warning': "If this wasn't you, reset your password at once and contact your administrator.",
  'notice.email_changed.subject': 'Your account email was changed',
  'notice.email_changed.intro': 'Your account now uses a new email address: {newEmail}.',
  'notice.password_changed.subject': 'Your password was changed',
  'notice.password_changed.intro': 'The password of your account was changed.',
  'notice.password_reset.subject': 'Your password was reset',
  'notice.password_reset.intro': 'The password of your account was reset with an emailed code.',
  'notice.factor_added.subject': 'A second factor was added',
  'notice.factor_added.intro':
    'A second factor (an authenticator app, email codes or a passkey) was added to your account.',
  'notice.factor_removed.subject': 'A second factor was removed',
  'notice.factor_removed.intro': 'A second factor was removed from your account.',
  'notice.phone_changed.subject': 'Your phone number was changed',
  'notice.phone_changed.intro': 'The phone number of your account was changed.',
  'notice.new_sign_in.subject': 'New sign-in to your account',
  'notice.new_sign_in.intro': 'Your account was just signed in to from a new device.',
  'notice.new_sign_in.place': 'Place',
  'notice.new_sign_in.device': 'Device',
  'notice.new_sign_in.ip': 'IP address',
  'notice.new_sign_in.unknownIp': 'unknown',
  'notice.new_sign_in.time': 'Time',
  'notice.new_sign_in.warning': "If this wasn't you, change your password and sign out other sessions.",
  'notice.new_place.subject': 'Sign-in from a new place',
  'notice.new_place.intro':
    'Your account was just signed in to from {place}, where it has not been used in the last 90 days.',
} as const;

export type MessageKey = keyof typeof en;

const de: Record<MessageKey, string> = {
  'otp.email_verify.subject': 'Bestätigen Sie Ihre E-Mail-Adresse',
  'otp.email_verify.intro': 'Mit diesem Code bestätigen Sie Ihre E-Mail-Adresse',
  'otp.login.subject': 'Ihr Anmeldecode',
  'otp.login.intro': 'Mit diesem Code melden Sie sich an',
  'otp.password_reset.subject': 'Passwort zurücksetzen',
  'otp.password_reset.intro': 'Mit diesem Code setzen Sie Ihr Passwort zurück',
  'otp.mfa_email.subject': 'Ihr Bestätigungscode',
  'otp.mfa_email.intro': 'Mit diesem Code schließen Sie die Anmeldung ab',
  'otp.email_change.subject': 'Bestätigen Sie Ihre neue E-Mail-Adresse',
  'otp.email_change.intro': 'Mit diesem Code wird diese Adresse die Adresse Ihres Kontos',
  'otp.phone_change.subject': 'Bestätigen Sie Ihre Telefonnummer',
  'otp.phone_change.intro': 'Mit diesem Code fügen Sie diese Nummer Ihrem Konto hinzu',
  'otp.validity.one': 'Er läuft in {minutes} Minute ab.',
  'otp.validity.other': 'Er läuft in {minutes} Minuten ab.',
  'otp.warning':
    'Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht und geben Sie den Code niemals weiter.',
  'otp.short': 'SecureAuth: {code} ist Ihr Code. {validity} Geben Sie ihn nicht weiter.',

  'notice.time': 'Zeit: {time} UTC',
  'notice.warning':
    'Wenn Sie das nicht waren, setzen Sie sofort Ihr Passwort zurück und wenden Sie sich an Ihre Administration.',
  'notice.email_changed.subject': 'Die E-Mail-Adresse Ihres Kontos wurde geändert',
  'notice.email_changed.intro': 'Ihr Konto verwendet jetzt eine neue E-Mail-Adresse: {newEmail}.',
  'notice.password_changed.subject': 'Ihr Passwort wurde geändert',
  'notice.password_changed.intro': 'Das Passwort Ihres Kontos wurde geändert.',
  'notice.password_reset.subject': 'Ihr Passwort wurde zurückgesetzt',
  'notice.password_reset.intro': 'Das Passwort Ihres Kontos wurde mit einem per E-Mail gesendeten Code zurückgesetzt.',
  'notice.factor_added.subject': 'Ein zweiter Faktor wurde hinzugefügt',
  'notice.factor_added.intro':
    'Ihrem Konto wurde ein zweiter Faktor (Authenticator-App, E-Mail-Codes oder Passkey) hinzugefügt.',
  'notice.factor_removed.subject': 'Ein zweiter Faktor wurde entfernt',
  'notice.factor_removed.intro': 'Ein zweiter Faktor wurde aus Ihrem Konto entfernt.',
  'notice.phone_changed.subject': 'Ihre Telefonnummer wurde geändert',
  'notice.phone_changed.intro': 'Die Telefonnummer Ihres Kontos wurde geändert.',
  'notice.new_sign_in.subject': 'Neue Anmeldung bei Ihrem Konto',
  'notice.new_sign_in.intro': 'Bei Ihrem Konto wurde sich soeben von einem neuen Gerät aus angemeldet.',
  'notice.new_sign_in.place': 'Ort',
  'notice.new_sign_in.device': 'Gerät',
  'notice.new_sign_in.ip': 'IP-Adresse',
  'notice.new_sign_in.unknownIp': 'unbekannt',
  'notice.new_sign_in.time': 'Zeit',
  'notice.new_sign_in.warning': 'Wenn Sie das nicht waren, ändern Sie Ihr Passwort und melden Sie andere Sitzungen ab.',
  'notice.new_place.subject': 'Anmeldung von einem neuen Ort',
  'notice.new_place.intro':
    'Bei Ihrem Konto wurde sich soeben aus {place} angemeldet, von wo es in den letzten 90 Tagen nicht genutzt wurde.',
};

export const MESSAGE_CATALOGUES: Record<Language, Readonly<Record<MessageKey, string>>> = { en, de };

export type MessageText = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** The texts of one language, `{name}` filled from `vars` (values as given: the HTML author escapes). */
export function messageTranslator(language: Language): MessageText {
  const catalogue = MESSAGE_CATALOGUES[language];
  return (key, vars = {}) => catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) => String(vars[name] ?? whole));
}
