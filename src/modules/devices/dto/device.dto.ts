import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, MaxLength } from 'class-validator';

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

/** API.md "Devices": one entry of GET /api/devices. */
export class DeviceResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Chrome on macOS' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'macOS' })
  platform!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'iPhone15,2' })
  model!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) …' })
  userAgent!: string | null;

  @ApiProperty({ format: 'date-time' })
  firstSeenAt!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeenAt!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  lastIp!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'GB',
    description: 'ISO 3166-1 alpha-2 of the last sign-in, from GEOIP_DB_PATH; null when unknown',
  })
  lastCountry!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'London' })
  lastCity!: string | null;

  @ApiProperty({ example: false })
  trusted!: boolean;

  @ApiProperty({ type: 'integer', example: 1, description: 'Live sessions started from this device' })
  activeSessions!: number;
}

export class UpdateDeviceDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'Work laptop' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean()
  trusted?: boolean;
}

/** The device summary carried by sessions (GET /api/auth/me, GET /api/auth/sessions). */
export class DeviceSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Chrome on macOS' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'macOS' })
  platform!: string | null;
}
