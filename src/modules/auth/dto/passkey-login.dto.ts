import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { SessionStartFieldsDto } from '../../sessions/dto/auth-result.dto';

/**
 * The options request carries nothing: every caller gets the same kind of answer (no
 * enumeration). Documentation only: class-validator refuses field-less classes, so the
 * service checks that the body is empty itself.
 */
export class PasskeyLoginOptionsDto {}

export class VerifyPasskeyLoginDto extends SessionStartFieldsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'AuthenticationResponseJSON from navigator.credentials.get() with a discoverable credential',
  })
  @IsObject()
  response!: AuthenticationResponseJSON;
}
