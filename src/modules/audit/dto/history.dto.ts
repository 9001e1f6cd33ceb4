import { PageQueryDto } from '../../../common/http/page-query.dto';
import { ApiProperty } from '@nestjs/swagger';

export class ListHistoryQueryDto extends PageQueryDto {}

export class HistoryItemDto {
  @ApiProperty({ example: 'login.succeeded' })
  type!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  at!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'GB',
    description: 'ISO 3166-1 alpha-2 of the request (GEOIP_DB_PATH)',
  })
  country!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'London' })
  city!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'MyService', description: "The app's X-Client-Name" })
  service!: string | null;

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
