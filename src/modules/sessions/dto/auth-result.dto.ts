import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, ValidateNested } from 'class-validator';
import { DeviceInputDto } from '../../devices/dto/device.dto';
import { UserViewDto } from '../../users/dto/user-view.dto';

// The class is devices'; re-exported so the flows importing it beside ClientType keep their import line.
export { DeviceInputDto };

export const CLIENT_TYPES = ['web', 'native'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** Fields every session-starting body accepts (device, client); extend it in each DTO. */
export class SessionStartFieldsDto {
  @ApiPropertyOptional({ type: DeviceInputDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeviceInputDto)
  device?: DeviceInputDto;

  // No `default` in the schema: generators (openapi-typescript) would make a defaulted field required.
  @ApiPropertyOptional({
    enum: CLIENT_TYPES,
    description:
      'Default `web`: the refresh token is set as an HttpOnly cookie. `native`: it comes in the body as `refreshToken` ' +
      '(apps that keep it in the platform keystore), and no cookie is set.',
  })
  @IsOptional()
  @IsIn(CLIENT_TYPES)
  client?: ClientType;
}

/** The cookies a session-starting response sets for web clients (openapi: response headers). */
export const SET_SESSION_COOKIES = {
  'Set-Cookie': {
    description:
      'Web clients only: `sa_access` (the access token, Path=/) and `sa_refresh` (the refresh token, Path=/api/auth), ' +
      'both HttpOnly and SameSite; Secure unless COOKIE_SECURE=false. Native clients get no cookie.',
    schema: { type: 'string' },
  },
} as const;

/** API.md AuthResult: the body of every response that starts a session. */
export class AuthResultDto {
  @ApiProperty({ description: 'ES256 JWT', example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiJ9...' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ type: 'integer', example: 900 })
  expiresIn!: number;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiPropertyOptional({ description: 'Native clients only; web clients get an HttpOnly cookie instead' })
  refreshToken?: string;

  @ApiProperty({ type: UserViewDto })
  user!: UserViewDto;
}
