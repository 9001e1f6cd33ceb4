import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { DeviceResponseDto } from '../../devices/dto/device.dto';
import { SessionResponseDto } from '../../sessions/dto/session-response.dto';
import { UserViewDto } from '../../users/dto/user-view.dto';
import {
  ADMIN_STATUSES,
  ROLES,
  USER_STATUSES,
  type AdminStatus,
  type Role,
  type UserStatus,
} from '../../users/user.entity';
import { AdminPageQueryDto } from './admin-scope.dto';

export class ListUsersQueryDto extends AdminPageQueryDto {
  @ApiPropertyOptional({
    description: 'Prefix of the email, phone, first or last name (case-insensitive)',
    example: 'ada',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  query?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ROLES, isArray: true, example: ['user', 'support'], description: 'Replaces the roles' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({
    enum: ADMIN_STATUSES,
    description:
      'restricted or disabled revokes every session of the user and blocks sign-in; a deleted account ' +
      '(the owner deleted it) cannot be changed (409 CONFLICT)',
  })
  @IsOptional()
  @IsIn(ADMIN_STATUSES)
  status?: AdminStatus;
}

export class AdminUserDto extends UserViewDto {
  @ApiProperty({ description: 'Admin reach across tenants (set by the CLI only)' })
  isPlatformAdmin!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  updatedAt!: string;
}

export class AdminUserPageResponseDto {
  @ApiProperty({ type: [AdminUserDto] })
  items!: AdminUserDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

/** The latest sign-in that no one could have travelled to in time (audit `login.impossible_travel`). */
export class ImpossibleTravelDto {
  @ApiProperty({ format: 'date-time', description: 'The sign-in that arrived too soon' })
  at!: string;

  @ApiProperty({ format: 'date-time', description: 'The sign-in before it' })
  previousAt!: string;

  @ApiProperty({ example: 'GB', description: 'ISO 3166-1 alpha-2' })
  fromCountry!: string;

  @ApiProperty({ type: String, nullable: true, example: 'London' })
  fromCity!: string | null;

  @ApiProperty({ example: 'AU' })
  toCountry!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Sydney' })
  toCity!: string | null;

  @ApiProperty({ example: 16994 })
  distanceKm!: number;

  @ApiProperty({ example: 61178, description: 'The speed the trip would have needed' })
  speedKmh!: number;
}

export class AdminUserDetailDto extends AdminUserDto {
  @ApiProperty({ type: [DeviceResponseDto] })
  devices!: DeviceResponseDto[];

  @ApiProperty({ type: [SessionResponseDto], description: 'Live sessions only (`current` is always false here)' })
  sessions!: SessionResponseDto[];

  @ApiProperty({
    type: ImpossibleTravelDto,
    nullable: true,
    description:
      'Flag: the latest sign-in of the last 90 days that came farther from the previous one than 1,000 km/h allows ' +
      '(GeoIP places; trips under 500 km are not judged). Null when there was none.',
  })
  impossibleTravel!: ImpossibleTravelDto | null;
}
