import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { MFA_METHODS, type MfaMethod } from '../../mfa/mfa.types';
import { AuthResultDto, SessionStartFieldsDto } from '../../sessions/dto/auth-result.dto';

const MFA_TOKEN_EXAMPLE = 'q3Zk2l0m3mZ0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p';

export class MfaTokenDto {
  @ApiProperty({
    description: 'From the login answer `{mfaRequired:true, mfaToken, methods}`',
    example: MFA_TOKEN_EXAMPLE,
  })
  @IsString()
  @MaxLength(128)
  mfaToken!: string;
}

export class VerifyMfaDto extends SessionStartFieldsDto {
  @ApiProperty({ description: 'From the login answer; single use, 5 minutes', example: MFA_TOKEN_EXAMPLE })
  @IsString()
  @MaxLength(128)
  mfaToken!: string;

  @ApiProperty({ enum: MFA_METHODS, example: 'totp' })
  @IsIn(MFA_METHODS)
  method!: MfaMethod;

  @ApiPropertyOptional({
    maxLength: 64,
    description: 'totp: 6 digits; email: the emailed code; recovery_code: xxxxx-xxxxx',
    example: '287082',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  code?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'passkey: AuthenticationResponseJSON from navigator.credentials.get()',
  })
  @IsOptional()
  @IsObject()
  response?: AuthenticationResponseJSON;
}

/** AuthResult after a second factor; a recovery-code login also says how many codes are left. */
export class MfaAuthResultDto extends AuthResultDto {
  @ApiPropertyOptional({
    type: 'integer',
    example: 9,
    description: 'Only after a login with a recovery code: unused codes left (regenerate when low)',
  })
  recoveryCodesRemaining?: number;
}

export class MfaEmailSentDto {
  @ApiProperty({ enum: ['sent'], example: 'sent' })
  status!: 'sent';

  @ApiProperty({ enum: ['email'], example: 'email' })
  channel!: 'email';

  @ApiProperty({ type: 'integer', description: 'Seconds the code lives', example: 600 })
  expiresIn!: number;

  @ApiProperty({ type: 'integer', description: 'Seconds before another code may be sent', example: 60 })
  resendAfter!: number;
}
