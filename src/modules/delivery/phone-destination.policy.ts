import { Injectable } from '@nestjs/common';
// The `max` metadata: only it knows number types (the default `min` answers no type at all).
import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';
import { AppException } from '../../common/errors';
import { TenantsService } from '../tenants/tenants.service';

/**
 * Calling codes of international networks (freephone, shared cost, satellite, universal
 * personal and premium numbers, carriers without a country). libphonenumber calls some of
 * them MOBILE (+881 Iridium, +882 networks), yet a text to them is billed at satellite or
 * premium rates: exactly what SMS pumping is after. No end user of a sign-in page needs them.
 */
export const INTERNATIONAL_NETWORK_CODES: ReadonlySet<string> = new Set([
  '800',
  '808',
  '870',
  '878',
  '881',
  '882',
  '883',
  '888',
  '979',
]);

/** A mobile, or a number plan (US, Canada, ...) that does not tell mobiles from landlines. */
const TEXTABLE_TYPES: ReadonlySet<NumberType> = new Set<NumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

export interface TextablePhone {
  /** The country calling code, digits only ("1", "44"): the unit of the hourly budgets. */
  callingCode: string;
  /** ISO 3166-1 alpha-2, as libphonenumber places the number (a UK 7911 number is GG). */
  country: string | undefined;
}

/**
 * What an E.164 number is, or null when no message may go to it whatever the tenant: not a
 * valid number, an international network number, or a type that is not a mobile (premium
 * rate, toll-free, shared cost, landline, pager, VoIP, UAN, personal number...).
 */
export function textablePhone(e164: string): TextablePhone | null {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.isValid()) return null;
  const callingCode = String(parsed.countryCallingCode);
  if (INTERNATIONAL_NETWORK_CODES.has(callingCode)) return null;
  const type = parsed.getType();
  if (!type || !TEXTABLE_TYPES.has(type)) return null;
  return { callingCode, country: parsed.country };
}

/**
 * Which phone numbers this service texts (SMS or WhatsApp) for a tenant: mobiles only, and only
 * in the tenant's `smsCountries` when it names any. Call it before looking up any account, so
 * that the refusal (422 DESTINATION_UNDELIVERABLE) is the same whether or not one has the number.
 */
@Injectable()
export class PhoneDestinationPolicy {
  constructor(private readonly tenants: TenantsService) {}

  /** 422 DESTINATION_UNDELIVERABLE, else the number's calling code and country. */
  async assertTextable(tenantId: string, phone: string): Promise<TextablePhone> {
    const textable = textablePhone(phone);
    if (!textable) throw new AppException('DESTINATION_UNDELIVERABLE');
    const countries = (await this.tenants.settingsOf(tenantId)).smsCountries;
    if (countries && countries.length > 0 && !(textable.country && countries.includes(textable.country))) {
      throw new AppException('DESTINATION_UNDELIVERABLE');
    }
    return textable;
  }
}
