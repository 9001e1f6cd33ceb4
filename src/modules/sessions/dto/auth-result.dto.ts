import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { UserViewDto } from '../../users/dto/user-view.dto';

export const CLIENT_TYPES = ['web', 'native'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** API.md "Device": optional on every body that starts a session. */
export class DeviceInputDto {
  @ApiPropertyOptional({ maxLength: 128, example: '9b2f0c0e-device-id' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  id?: string;

  @ApiPropertyOptional({ maxLength: 100, example: "Ada's iPhone" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ maxLength: 50, example: 'ios' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  platform?: string;

  @ApiPropertyOptional({ maxLength: 100, example: 'iPhone15,2' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ maxLength: 50, example: '2.4.1' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  appVersion?: string;
}

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
