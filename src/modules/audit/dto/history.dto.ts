import { PageQueryDto } from '../../../common/http/page-query.dto';
import { ApiProperty } from '@nestjs/swagger';
import { RequestOriginDto } from './request-origin.dto';

export class ListHistoryQueryDto extends PageQueryDto {}

export class HistoryItemDto extends RequestOriginDto {
  @ApiProperty({ example: 'login.succeeded' })
  type!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
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
