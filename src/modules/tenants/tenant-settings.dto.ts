import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO31661Alpha2,
  IsOptional,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { CAPTCHA_MODES, type CaptchaMode, type TenantSettings } from './tenant.entity';

const OTP_CHANNELS = ['whatsapp', 'sms', 'email'] as const;

/** What an operator may put in a tenant's settings; the same bounds as the service-wide variables. */
export class TenantSettingsDto implements TenantSettings {
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(OTP_CHANNELS, { each: true })
  allowedOtpChannels?: Array<(typeof OTP_CHANNELS)[number]>;

  @IsOptional()
  @IsInt()
  @Min(8)
  @Max(128)
  passwordMinLength?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  accessTokenTtl?: number;

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  refreshTokenTtl?: number;

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  sessionIdleTtl?: number;

  @IsOptional()
  @IsBoolean()
  mfaRequired?: boolean;

  @IsOptional()
  @IsIn(CAPTCHA_MODES)
  captcha?: CaptchaMode;

  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(250)
  @Matches(/^[A-Z]{2}$/, { each: true, message: 'each value must be an upper-case ISO 3166-1 alpha-2 code' })
  @IsISO31661Alpha2({ each: true })
  smsCountries?: string[];
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
  if (Array.isArray(dto.allowedOtpChannels) && dto.allowedOtpChannels.length === 0) {
    throw new Error('invalid settings: allowedOtpChannels must name at least one channel');
  }
  if (dto.refreshTokenTtl && dto.sessionIdleTtl && dto.sessionIdleTtl > dto.refreshTokenTtl) {
    throw new Error('invalid settings: sessionIdleTtl cannot exceed refreshTokenTtl');
  }
  // Keep only the keys that were given, so that absent keys keep meaning "service default".
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined));
}
