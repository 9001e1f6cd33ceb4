import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO31661Alpha2,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { AppException } from '../../common/errors';
import { IsLanguageTag } from '../../common/validation/locale-validators';
import {
  CAPTCHA_MODES,
  type CaptchaMode,
  NEW_PLACE_POLICIES,
  type NewPlacePolicy,
  PHONE_CHANNELS,
  type PhoneChannel,
  type TenantSettings,
} from './tenant.entity';

const OTP_CHANNELS = ['whatsapp', 'sms', 'email'] as const;

/** What an operator may put in a tenant's settings; the same bounds as the service-wide variables. */
export class TenantSettingsDto implements TenantSettings {
  @ApiPropertyOptional({
    enum: OTP_CHANNELS,
    isArray: true,
    example: ['whatsapp', 'sms'],
    description: 'Channels send-otp may use (at least one)',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(OTP_CHANNELS, { each: true })
  allowedOtpChannels?: Array<(typeof OTP_CHANNELS)[number]>;

  @ApiPropertyOptional({ minimum: 8, maximum: 128, example: 12 })
  @IsOptional()
  @IsInt()
  @Min(8)
  @Max(128)
  passwordMinLength?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86_400, description: 'Seconds' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  accessTokenTtl?: number;

  @ApiPropertyOptional({ minimum: 60, maximum: 31_536_000, description: 'Seconds' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  refreshTokenTtl?: number;

  @ApiPropertyOptional({ minimum: 60, maximum: 31_536_000, description: 'Seconds; at most refreshTokenTtl' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  sessionIdleTtl?: number;

  @ApiPropertyOptional({ description: 'Every sign-in needs a second factor' })
  @IsOptional()
  @IsBoolean()
  mfaRequired?: boolean;

  @ApiPropertyOptional({ enum: CAPTCHA_MODES, description: '`always` needs CAPTCHA_VERIFY_URL' })
  @IsOptional()
  @IsIn(CAPTCHA_MODES)
  captcha?: CaptchaMode;

  @ApiPropertyOptional({
    isArray: true,
    example: ['DE', 'FR'],
    description: 'ISO 3166-1 alpha-2; empty = every country',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(250)
  @Matches(/^[A-Z]{2}$/, { each: true, message: 'each value must be an upper-case ISO 3166-1 alpha-2 code' })
  @IsISO31661Alpha2({ each: true })
  smsCountries?: string[];

  @ApiPropertyOptional({
    enum: PHONE_CHANNELS,
    isArray: true,
    example: ['whatsapp', 'sms'],
    description:
      'Phone codes: the first channel is tried when the client names none; the next one sends the same code, once, ' +
      'when the first refuses the number (WhatsApp 131026) or has not accepted it within DELIVERY_FALLBACK_AFTER_MS',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(PHONE_CHANNELS, { each: true })
  channelOrder?: PhoneChannel[];

  @ApiPropertyOptional({
    enum: ['twilio', 'vonage'],
    isArray: true,
    example: ['vonage', 'twilio'],
    description:
      "The order of SMS providers for this tenant's messages, among those configured (SMS_PROVIDER); a provider failing " +
      '(5xx, timeouts) hands the message to the next, and one failing repeatedly is skipped for a while',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(['twilio', 'vonage'], { each: true })
  smsProviders?: Array<'twilio' | 'vonage'>;

  @ApiPropertyOptional({
    enum: NEW_PLACE_POLICIES,
    default: 'notify',
    description:
      'A password or code sign-in from a country the user has not signed in from in 90 days (not on a trusted device): ' +
      '`notify` emails a security notice, `step_up` asks a second factor for that sign-in (an emailed code when the ' +
      'user has none), `off` does nothing. Needs GEOIP_DB_PATH.',
  })
  @IsOptional()
  @IsIn(NEW_PLACE_POLICIES)
  newPlacePolicy?: NewPlacePolicy;

  @ApiPropertyOptional({ example: 'Acme Corp', description: "Shown on the hosted pages instead of 'SecureAuth'" })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  displayName?: string;

  @ApiPropertyOptional({
    example: 'https://acme.example/logo.svg',
    description: 'An https URL, shown on the hosted pages',
  })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true, require_tld: false }, { message: 'must be an https URL' })
  @MaxLength(2048)
  logoUrl?: string;

  @ApiPropertyOptional({ example: '#0b5fff', description: "The hosted pages' accent colour, `#rrggbb`" })
  @IsOptional()
  @Matches(/^#[0-9a-fA-F]{6}$/, { message: 'must be a colour like #0b5fff' })
  primaryColor?: string;

  @ApiPropertyOptional({ example: 'de', description: "The pages' language when nothing else chooses one (BCP 47)" })
  @IsOptional()
  @IsLanguageTag()
  locale?: string;
}

/** The rules across keys, for every path a change comes by (the CLI, the admin API). */
export function assertSettingsConsistent(settings: TenantSettings): void {
  if (Array.isArray(settings.allowedOtpChannels) && settings.allowedOtpChannels.length === 0) {
    throw new AppException('VALIDATION_FAILED', [
      { field: 'allowedOtpChannels', message: 'must name at least one channel' },
    ]);
  }
  if (settings.refreshTokenTtl && settings.sessionIdleTtl && settings.sessionIdleTtl > settings.refreshTokenTtl) {
    throw new AppException('VALIDATION_FAILED', [
      { field: 'sessionIdleTtl', message: 'cannot exceed refreshTokenTtl' },
    ]);
  }
}

/** Validates operator input (CLI JSON); throws an Error naming every bad field. */
export function parseTenantSettings(input: unknown): TenantSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error('settings must be a JSON object');
  }
  const dto = plainToInstance(TenantSettingsDto, input);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const problems = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map((message) => `${error.property}: ${message}`),
    );
    throw new Error(`invalid settings: ${problems.join('; ')}`);
  }
  // Keep only the keys that were given, so that absent keys keep meaning "service default".
  const settings: TenantSettings = Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined));
  try {
    assertSettingsConsistent(settings);
  } catch (error) {
    const details = error instanceof AppException ? (error.details ?? []) : [];
    throw new Error(`invalid settings: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`);
  }
  return settings;
}
