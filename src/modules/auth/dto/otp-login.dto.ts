import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { EmailAddress } from '../../../common/http/email-address';
import { CaptchaTokenField } from '../../captcha/require-captcha.decorator';
import { SessionStartFieldsDto } from '../../sessions/dto/auth-result.dto';
import { DELIVERY_CHANNELS, type DeliveryChannel } from '../../delivery/delivery-destination';

export const PHONE_CHANNELS = ['whatsapp', 'sms'] as const;
export type PhoneChannel = (typeof PHONE_CHANNELS)[number];

const PHONE_DOC = {
  example: '+14155550123',
  maxLength: 32,
  description: 'E.164 (with the country code); give either phone or email',
} as const;
const EMAIL_DOC = {
  example: 'ada@example.com',
  maxLength: 320,
  format: 'email',
  description: 'An existing account only; give either phone or email',
} as const;

/** Validated when given, or when the other is missing too (one of them is required; the service refuses both). */
const required = (field: 'phone' | 'email') => (dto: { phone?: unknown; email?: unknown }) =>
  dto[field] !== undefined || dto[field === 'phone' ? 'email' : 'phone'] === undefined;

/** Where the code goes: a phone (E.164) or an account email, exactly one of them. */
class OtpDestinationFieldsDto {
  @ApiPropertyOptional(PHONE_DOC)
  @ValidateIf(required('phone'))
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional(EMAIL_DOC)
  @ValidateIf(required('email'))
  @EmailAddress()
  email?: string;
}

export class SendOtpDto extends OtpDestinationFieldsDto {
  @ApiPropertyOptional({ enum: PHONE_CHANNELS, description: 'For a phone only; default OTP_DEFAULT_CHANNEL' })
  @IsOptional()
  @IsIn(PHONE_CHANNELS)
  channel?: PhoneChannel;

  @CaptchaTokenField()
  captchaToken?: string;
}

export class VerifyOtpDto extends IntersectionType(OtpDestinationFieldsDto, SessionStartFieldsDto) {
  @ApiProperty({ example: '123456', pattern: '^[0-9]{6}$' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be 6 digits' })
  otp!: string;
}

export class OtpSentResponseDto {
  @ApiProperty({ enum: ['sent'], example: 'sent' })
  status!: 'sent';

  @ApiProperty({ enum: DELIVERY_CHANNELS, example: 'whatsapp' })
  channel!: DeliveryChannel;

  @ApiProperty({ example: 300, description: 'Seconds the code stays valid' })
  expiresIn!: number;

  @ApiProperty({ example: 60, description: 'Seconds before another code may be sent to this destination' })
  resendAfter!: number;
}
