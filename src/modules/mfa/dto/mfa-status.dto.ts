import { ApiProperty } from '@nestjs/swagger';

export class PasskeyViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'YubiKey 5C' })
  name!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', type: String, nullable: true, example: '2026-01-02T08:30:00.000Z' })
  lastUsedAt!: string | null;
}

export class FactorEnabledDto {
  @ApiProperty()
  enabled!: boolean;
}

export class RecoveryCodesRemainingDto {
  @ApiProperty({ type: 'integer', example: 10 })
  remaining!: number;
}

export class MfaStatusDto {
  @ApiProperty({ type: FactorEnabledDto })
  totp!: FactorEnabledDto;

  @ApiProperty({ type: FactorEnabledDto })
  email!: FactorEnabledDto;

  @ApiProperty({ type: [PasskeyViewDto] })
  passkeys!: PasskeyViewDto[];

  @ApiProperty({ type: RecoveryCodesRemainingDto })
  recoveryCodes!: RecoveryCodesRemainingDto;
}
