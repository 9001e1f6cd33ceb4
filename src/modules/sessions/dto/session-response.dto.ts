import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { DeviceSummaryDto } from '../../devices/dto/device.dto';
import { UserViewDto } from '../../users/dto/user-view.dto';

/** Native clients send the refresh token in the body; web clients send nothing (the cookie). */
export class RefreshSessionDto {
  @ApiPropertyOptional({ description: 'Native clients only', example: '1f0c…-uuid.Zk3…' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class CurrentSessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeenAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Absolute end of the session' })
  expiresAt!: string;

  @ApiProperty({ type: 'integer', enum: [1, 2], example: 1 })
  aal!: 1 | 2;

  @ApiProperty({ type: DeviceSummaryDto, nullable: true })
  device!: DeviceSummaryDto | null;
}

/** GET /api/auth/me. */
export class MeResponseDto {
  @ApiProperty({ type: UserViewDto })
  user!: UserViewDto;

  @ApiProperty({ type: CurrentSessionDto })
  session!: CurrentSessionDto;
}

/** One entry of GET /api/auth/sessions. */
export class SessionResponseDto extends CurrentSessionDto {
  @ApiProperty({ description: 'The session making this request' })
  current!: boolean;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 …' })
  userAgent!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'GB',
    description: 'ISO 3166-1 alpha-2 of the sign-in, from GEOIP_DB_PATH; null when unknown',
  })
  country!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'London' })
  city!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'MyService',
    description: 'The app that asked for the sign-in: its X-Client-Name (at most 64 characters), or an OIDC client id',
  })
  service!: string | null;
}
