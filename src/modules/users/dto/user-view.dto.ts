import { ApiProperty } from '@nestjs/swagger';
import { ROLES, USER_STATUSES, type Role, type UserStatus } from '../user.entity';

export class UserProfileDto {
  @ApiProperty({ type: String, nullable: true, example: 'Ada' })
  firstName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Lovelace' })
  lastName!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uri', example: 'https://example.com/ada.png' })
  photoUrl!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'ISO 3166-1 alpha-2', example: 'GB' })
  country!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'BCP 47', example: 'en-GB' })
  locale!: string | null;
}

/** The user as clients see it (API.md AuthResult.user). */
export class UserViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'default' })
  tenantId!: string;

  @ApiProperty({ type: String, nullable: true, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty()
  emailVerified!: boolean;

  @ApiProperty({ type: String, nullable: true, example: '+14155550123' })
  phone!: string | null;

  @ApiProperty()
  phoneVerified!: boolean;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['user'] })
  roles!: Role[];

  @ApiProperty({ enum: USER_STATUSES, example: 'active' })
  status!: UserStatus;

  @ApiProperty({ type: UserProfileDto })
  profile!: UserProfileDto;

  @ApiProperty()
  mfaEnabled!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;
}
