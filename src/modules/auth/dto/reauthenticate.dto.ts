import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export const REAUTH_FACTORS = ['totp', 'recovery_code', 'passkey'] as const;
export type ReauthFactor = (typeof REAUTH_FACTORS)[number];

/** One proof of who is at the keyboard: the password, or a second factor (ReauthenticationService checks there is exactly one). */
export class ReauthenticateDto {
  @ApiPropertyOptional({
    description: "The account's password",
    example: 'correct horse battery staple',
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ enum: REAUTH_FACTORS, example: 'totp' })
  @IsOptional()
  @IsIn(REAUTH_FACTORS)
  method?: ReauthFactor;

  @ApiPropertyOptional({ description: 'totp: 6 digits; recovery_code: xxxxx-xxxxx', example: '287082', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  code?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'passkey: AuthenticationResponseJSON for the options of POST /api/auth/reauthenticate/passkey/options',
  })
  @IsOptional()
  @IsObject()
  response?: AuthenticationResponseJSON;
}

export class ReauthenticatedDto {
  @ApiProperty({
    type: 'integer',
    description: "The session's new auth_time (seconds since the epoch)",
    example: 1767268800,
  })
  authTime!: number;
}

// The three shapes the body takes, for the docs (validation runs on ReauthenticateDto).
class PasswordProof {
  @ApiProperty({ description: "The account's password", example: 'correct horse battery staple' })
  password!: string;
}
class CodeProof {
  @ApiProperty({ enum: ['totp', 'recovery_code'], example: 'totp' })
  method!: 'totp' | 'recovery_code';

  @ApiProperty({ description: 'totp: 6 digits; recovery_code: xxxxx-xxxxx', example: '287082' })
  code!: string;
}
class PasskeyProof {
  @ApiProperty({ enum: ['passkey'], example: 'passkey' })
  method!: 'passkey';

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'AuthenticationResponseJSON' })
  response!: AuthenticationResponseJSON;
}

export const ApiReauthenticateBody = () =>
  applyDecorators(
    ApiExtraModels(PasswordProof, CodeProof, PasskeyProof),
    ApiBody({
      schema: { oneOf: [PasswordProof, CodeProof, PasskeyProof].map((proof) => ({ $ref: getSchemaPath(proof) })) },
      examples: {
        password: { summary: 'With the password', value: { password: 'correct horse battery staple' } },
        totp: { summary: 'With an authenticator code', value: { method: 'totp', code: '287082' } },
      },
    }),
  );
