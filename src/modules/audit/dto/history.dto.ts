import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class ListHistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class HistoryItemDto {
  @ApiProperty({ example: 'login.succeeded' })
  type!: string;

  @ApiProperty({ example: '2026-01-01T12:00:00.000Z' })
  at!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  deviceId!: string | null;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;
}

export class HistoryPageResponseDto {
  @ApiProperty({ type: [HistoryItemDto] })
  items!: HistoryItemDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
