import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { EmailAddress } from '../../../common/http/email-address';
import { CaptchaTokenField } from '../../captcha/require-captcha.decorator';
import { SessionStartFieldsDto } from '../../sessions/dto/auth-result.dto';

const EMAIL_DOC = {
  example: 'ada@example.com',
  maxLength: 320,
  format: 'email',
  description:
    'Stored lower-cased with the domain in ASCII (punycode); quoted local parts and control characters are refused',
} as const;
/** Policy limits (8 to 128, tenant minimum, common list) are checked by the service with the tenant's settings. */
const NEW_PASSWORD_DOC = {
  example: 'correct horse battery staple',
  minLength: 8,
  maxLength: 128,
  description: '8 to 128 characters (the tenant may raise the minimum); not in the common-password list',
} as const;

class EmailFieldDto {
  @ApiProperty(EMAIL_DOC)
  @EmailAddress()
  email!: string;
}

export class RegisterDto extends EmailFieldDto {
  @ApiProperty(NEW_PASSWORD_DOC)
  @IsString()
  password!: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Ada' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  firstName?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'Lovelace' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  lastName?: string;

  @CaptchaTokenField()
  captchaToken?: string;
}

export class ResendVerificationDto extends EmailFieldDto {}

export class ForgotPasswordDto extends EmailFieldDto {
  @CaptchaTokenField()
  captchaToken?: string;
}

export class VerifyEmailDto extends SessionStartFieldsDto {
  @ApiProperty(EMAIL_DOC)
  @EmailAddress()
  email!: string;

  @ApiProperty({ example: '123456', pattern: '^[0-9]{6}$' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be 6 digits' })
  otp!: string;
}

export class LoginDto extends SessionStartFieldsDto {
  @ApiProperty(EMAIL_DOC)
  @EmailAddress()
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  password!: string;

  @CaptchaTokenField()
  captchaToken?: string;
}

export class ResetPasswordDto extends EmailFieldDto {
  @ApiProperty({ example: '123456', pattern: '^[0-9]{6}$' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be 6 digits' })
  otp!: string;

  @ApiProperty(NEW_PASSWORD_DOC)
  @IsString()
  newPassword!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ example: 'my old passphrase', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  currentPassword!: string;

  @ApiProperty(NEW_PASSWORD_DOC)
  @IsString()
  newPassword!: string;
}

export class VerificationSentResponseDto {
  @ApiProperty({ enum: ['verification_sent'], example: 'verification_sent' })
  status!: 'verification_sent';
}

export class ResetSentResponseDto {
  @ApiProperty({ enum: ['reset_sent'], example: 'reset_sent' })
  status!: 'reset_sent';
}
