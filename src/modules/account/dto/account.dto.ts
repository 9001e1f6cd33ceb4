import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUrl, Matches, MaxLength, ValidateNested } from 'class-validator';
import { EmailAddress } from '../../../common/http/email-address';
import { DeliveryMessageDto } from '../../admin/dto/admin-delivery.dto';
import { HistoryItemDto } from '../../audit/dto/history.dto';
import { DeviceResponseDto } from '../../devices/dto/device.dto';
import { MfaStatusDto } from '../../mfa/dto/mfa-status.dto';
import { SessionResponseDto } from '../../sessions/dto/session-response.dto';
import { PHONE_CHANNELS, type PhoneChannel } from '../../auth/dto/otp-login.dto';
import { THEMES, type Theme } from '../../users/user.entity';
import { UserViewDto } from '../../users/dto/user-view.dto';
import { IsAssignedCountry, IsLanguageTag } from '../../../common/validation/locale-validators';

export class NotificationSettingsDto {
  @ApiProperty({ description: 'Security notices and account messages by email', example: true })
  @IsOptional()
  @IsBoolean()
  email?: boolean;

  @ApiProperty({ description: 'Account messages by SMS', example: false })
  @IsOptional()
  @IsBoolean()
  sms?: boolean;
}

export class PrivacySettingsDto {
  @ApiProperty({ description: 'Whether other users of the tenant may see the profile', example: false })
  @IsOptional()
  @IsBoolean()
  publicView?: boolean;
}

export class AccountSettingsDto {
  @ApiProperty({ enum: THEMES, example: 'auto' })
  theme!: Theme;

  @ApiProperty({ type: NotificationSettingsDto })
  notifications!: Required<NotificationSettingsDto>;

  @ApiProperty({ type: PrivacySettingsDto })
  privacy!: Required<PrivacySettingsDto>;
}

/** API.md Account: the user as clients see them (without roles and status), with the settings. */
export class AccountDto extends PickType(UserViewDto, [
  'id',
  'tenantId',
  'email',
  'emailVerified',
  'phone',
  'phoneVerified',
  'profile',
  'createdAt',
] as const) {
  @ApiProperty({ type: AccountSettingsDto })
  settings!: AccountSettingsDto;
}

/** Each field given is set; `null` clears it; an absent field stays as it is. */
export class UpdateProfileDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'Ada' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  firstName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'Lovelace' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  lastName?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 2048,
    format: 'uri',
    description: 'An https URL',
    example: 'https://example.com/ada.png',
  })
  @IsOptional()
  @IsUrl({ protocols: ['https'], require_protocol: true, require_tld: false }, { message: 'must be an https URL' })
  @MaxLength(2048)
  photoUrl?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'An assigned ISO 3166-1 alpha-2 code',
    example: 'GB',
  })
  @IsOptional()
  @IsAssignedCountry()
  country?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'A BCP 47 language tag: the language of the pages, emails and texts the user gets',
    example: 'de-DE',
  })
  @IsOptional()
  @IsLanguageTag()
  locale?: string | null;
}

/** Partial: each object given is merged key by key into what is stored. */
export class UpdateSettingsDto {
  @ApiPropertyOptional({ enum: THEMES, example: 'dark' })
  @IsOptional()
  @IsIn(THEMES)
  theme?: Theme;

  @ApiPropertyOptional({ type: NotificationSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => NotificationSettingsDto)
  notifications?: NotificationSettingsDto;

  @ApiPropertyOptional({ type: PrivacySettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PrivacySettingsDto)
  privacy?: PrivacySettingsDto;
}

export class ChangeEmailDto {
  @ApiProperty({ example: 'ada@new.example', maxLength: 320, format: 'email' })
  @EmailAddress()
  newEmail!: string;
}

export class VerifyEmailChangeDto extends ChangeEmailDto {
  @ApiProperty({ example: '123456', pattern: '^[0-9]{6}$' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be 6 digits' })
  otp!: string;
}

export class ChangePhoneDto {
  @ApiProperty({ example: '+14155550123', maxLength: 32, description: 'E.164, with the country code' })
  @IsString()
  @MaxLength(32)
  phone!: string;

  @ApiPropertyOptional({ enum: PHONE_CHANNELS, description: 'Default OTP_DEFAULT_CHANNEL' })
  @IsOptional()
  @IsIn(PHONE_CHANNELS)
  channel?: PhoneChannel;
}

export class VerifyPhoneChangeDto {
  @ApiProperty({ example: '+14155550123', maxLength: 32 })
  @IsString()
  @MaxLength(32)
  phone!: string;

  @ApiProperty({ example: '123456', pattern: '^[0-9]{6}$' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be 6 digits' })
  otp!: string;
}

export class ChangeRequestedDto {
  @ApiProperty({ enum: ['verification_sent'], example: 'verification_sent' })
  status!: 'verification_sent';
}

/** DELETE /api/account. */
export class DeletionScheduledDto {
  @ApiProperty({ enum: ['deletion_scheduled'], example: 'deletion_scheduled' })
  status!: 'deletion_scheduled';

  @ApiProperty({ format: 'date-time', description: 'When the worker erases the personal data' })
  purgeAt!: string;
}

/** GET /api/account/export: everything held about the caller, without secrets. */
export class AccountExportDto {
  @ApiProperty({ format: 'date-time' })
  exportedAt!: string;

  @ApiProperty({ type: AccountDto })
  account!: AccountDto;

  @ApiProperty({ type: [DeviceResponseDto] })
  devices!: DeviceResponseDto[];

  @ApiProperty({ type: [SessionResponseDto], description: 'Live sessions' })
  sessions!: SessionResponseDto[];

  @ApiProperty({ type: MfaStatusDto, description: 'Second factors, without their secrets' })
  mfa!: MfaStatusDto;

  @ApiProperty({ type: [HistoryItemDto], description: 'Security history, newest first' })
  history!: HistoryItemDto[];

  @ApiProperty({ type: [DeliveryMessageDto], description: 'Messages sent to the user, without their content' })
  deliveries!: DeliveryMessageDto[];
}
