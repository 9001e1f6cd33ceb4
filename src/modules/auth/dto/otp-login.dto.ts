import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  getSchemaPath,
  IntersectionType,
  OmitType,
} from '@nestjs/swagger';
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

const GIVE_ONE = 'give a phone (E.164, e.g. +14155550123) or an email';

/**
 * Where the code goes: a phone (E.164) or an account email, exactly one of them. Neither: one
 * detail on `phone` saying to give one (the service refuses both).
 */
class OtpDestinationFieldsDto {
  @ApiPropertyOptional(PHONE_DOC)
  @ValidateIf((dto: { phone?: unknown; email?: unknown }) => dto.phone !== undefined || dto.email === undefined)
  @IsString({ message: ({ value }) => (value === undefined ? GIVE_ONE : 'must be a string') })
  @MaxLength(32, { message: ({ value }) => (value === undefined ? GIVE_ONE : 'must be at most 32 characters') })
  phone?: string;

  @ApiPropertyOptional(EMAIL_DOC)
  @ValidateIf((dto: { email?: unknown }) => dto.email !== undefined)
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

// The two shapes each body may take, for the docs only (validation runs on the classes above):
// generated clients then see "a phone or an email" as a oneOf they can build without guessing.
class PhoneDestinationDto {
  @ApiProperty(PHONE_DOC)
  phone!: string;
}
class EmailDestinationDto {
  @ApiProperty(EMAIL_DOC)
  email!: string;
}
export class SendOtpToPhoneDto extends IntersectionType(
  PhoneDestinationDto,
  OmitType(SendOtpDto, ['phone', 'email']),
) {}
export class SendOtpToEmailDto extends IntersectionType(
  EmailDestinationDto,
  OmitType(SendOtpDto, ['phone', 'email', 'channel']),
) {}
export class VerifyPhoneOtpDto extends IntersectionType(
  PhoneDestinationDto,
  OmitType(VerifyOtpDto, ['phone', 'email']),
) {}
export class VerifyEmailOtpDto extends IntersectionType(
  EmailDestinationDto,
  OmitType(VerifyOtpDto, ['phone', 'email']),
) {}

/** A body that is one of two shapes, with an example of each (Try it out sends a valid one). */
function ApiOneOfBody(
  shapes: [phone: new () => object, email: new () => object],
  examples: { phone: object; email: object },
) {
  return applyDecorators(
    ApiExtraModels(...shapes),
    ApiBody({
      schema: { oneOf: shapes.map((shape) => ({ $ref: getSchemaPath(shape) })) },
      examples: {
        phone: { summary: 'By phone', value: examples.phone },
        email: { summary: 'By email (existing accounts only)', value: examples.email },
      },
    }),
  );
}

export const ApiSendOtpBody = () =>
  ApiOneOfBody([SendOtpToPhoneDto, SendOtpToEmailDto], {
    phone: { phone: PHONE_DOC.example, channel: 'whatsapp' },
    email: { email: EMAIL_DOC.example },
  });

export const ApiVerifyOtpBody = () =>
  ApiOneOfBody([VerifyPhoneOtpDto, VerifyEmailOtpDto], {
    phone: { phone: PHONE_DOC.example, otp: '123456' },
    email: { email: EMAIL_DOC.example, otp: '123456' },
  });

export class OtpSentResponseDto {
  @ApiProperty({ enum: ['sent'], example: 'sent' })
  status!: 'sent';

  @ApiProperty({ enum: DELIVERY_CHANNELS, example: 'whatsapp', description: 'The channel tried first' })
  channel!: DeliveryChannel;

  @ApiPropertyOptional({
    enum: DELIVERY_CHANNELS,
    example: 'sms',
    description:
      "The tenant's next channel (`channelOrder`): it sends the same code, once, if the first refuses the number " +
      'or has not accepted the message within DELIVERY_FALLBACK_AFTER_MS',
  })
  fallbackChannel?: DeliveryChannel;

  @ApiProperty({ type: 'integer', example: 300, description: 'Seconds the code stays valid' })
  expiresIn!: number;

  @ApiProperty({
    type: 'integer',
    example: 60,
    description: 'Seconds before another code may be sent to this destination',
  })
  resendAfter!: number;
}
