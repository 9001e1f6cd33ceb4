import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsString, MaxLength } from 'class-validator';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { PasskeyViewDto } from './mfa-status.dto';

export class PasskeyNameDto {
  @ApiProperty({ maxLength: 100, example: 'YubiKey 5C' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;
}

export class RegisterPasskeyDto extends PasskeyNameDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'RegistrationResponseJSON from navigator.credentials.create() (e.g. @simplewebauthn/browser)',
  })
  @IsObject()
  response!: RegistrationResponseJSON;
}

export class PasskeyCreatedDto extends PasskeyViewDto {
  @ApiPropertyOptional({
    type: [String],
    description: 'Only when this is the first factor enrolled: 10 single-use codes, shown once',
  })
  recoveryCodes?: string[];
}

/** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON, described loosely: WebAuthn owns the shape. */
export class WebAuthnOptionsDto {
  @ApiProperty({ description: 'base64url', example: 'q8Vd1TzGg0wV9kqkG5bHqA' })
  challenge!: string;

  @ApiPropertyOptional({ type: 'integer', example: 300000 })
  timeout?: number;

  @ApiPropertyOptional({ example: 'localhost' })
  rpId?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { id: 'localhost', name: 'SecureAuth' } })
  rp?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  user?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  pubKeyCredParams?: Record<string, unknown>[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  allowCredentials?: Record<string, unknown>[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  excludeCredentials?: Record<string, unknown>[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  authenticatorSelection?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'preferred' })
  userVerification?: string;

  @ApiPropertyOptional({ example: 'none' })
  attestation?: string;
}
