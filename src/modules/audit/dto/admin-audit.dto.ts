import { PageQueryDto } from '../../../common/http/page-query.dto';
import { RequestOriginDto } from './request-origin.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { IsoDateTimeQuery } from '../../../common/http/iso-date-time';
import { AUDIT_EVENT_TYPES } from '../audit.constants';

export class ListAuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Events about this user (subject)' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES, example: 'login.failed' })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Inclusive lower bound: ISO 8601, a date or a date-time with a zone, years 0001 to 9999',
  })
  @IsOptional()
  @IsoDateTimeQuery()
  from?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Exclusive upper bound: ISO 8601, a date or a date-time with a zone, years 0001 to 9999',
  })
  @IsOptional()
  @IsoDateTimeQuery()
  to?: Date;

  @ApiPropertyOptional({
    example: 'acme',
    description: 'Platform admins only: the tenant to look into (absent: every tenant). Others: their own tenant only.',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/)
  tenantId?: string;
}

export class AdminAuditEventDto extends RequestOriginDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'default' })
  tenantId!: string;

  @ApiProperty({ example: 'login.succeeded' })
  type!: string;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Who acted (the user, an admin, or null)' })
  actorId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'Whose account the event is about' })
  subjectId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  sessionId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  deviceId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, example: { reason: 'admin' } })
  data!: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;
}

export class AdminAuditPageResponseDto {
  @ApiProperty({ type: [AdminAuditEventDto] })
  items!: AdminAuditEventDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
