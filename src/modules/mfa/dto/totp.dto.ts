import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class TotpSetupResponseDto {
  @ApiProperty({ description: 'Base32, 160 bits; shown once', example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' })
  secret!: string;

  @ApiProperty({
    example:
      'otpauth://totp/SecureAuth:ada%40example.com?issuer=SecureAuth&secret=JBSW...&algorithm=SHA1&digits=6&period=30',
  })
  otpauthUrl!: string;

  @ApiProperty({ description: 'The otpauth URL as a QR code', example: 'data:image/png;base64,iVBORw0KGgo...' })
  qrCode!: string;
}

export class TotpCodeDto {
  @ApiProperty({ example: '287082', pattern: '^\\d{6}$' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  code!: string;
}

const RECOVERY_CODES_EXAMPLE = ['7kq2m-x9d4a', 'p3h8c-w2n6r'];

export class RecoveryCodesResponseDto {
  @ApiProperty({ type: [String], description: '10 single-use codes, shown once', example: RECOVERY_CODES_EXAMPLE })
  recoveryCodes!: string[];
}

export class FactorEnabledResponseDto {
  @ApiProperty({ enum: [true], example: true })
  enabled!: true;

  @ApiPropertyOptional({
    type: [String],
    description: 'Only when this is the first factor enrolled: 10 single-use codes, shown once',
    example: RECOVERY_CODES_EXAMPLE,
  })
  recoveryCodes?: string[];
}
