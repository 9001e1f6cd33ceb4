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

  @ApiPropertyOptional({
    enum: CLIENT_TYPES,
    default: 'web',
    description: 'native: the refresh token comes in the body instead of a cookie',
  })
  @IsOptional()
  @IsIn(CLIENT_TYPES)
  client?: ClientType;
}

/** API.md AuthResult: the body of every response that starts a session. */
export class AuthResultDto {
  @ApiProperty({ description: 'ES256 JWT', example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiJ9...' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ example: 900 })
  expiresIn!: number;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiPropertyOptional({ description: 'Native clients only; web clients get an HttpOnly cookie instead' })
  refreshToken?: string;

  @ApiProperty({ type: UserViewDto })
  user!: UserViewDto;
}
