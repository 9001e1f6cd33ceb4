import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DELIVERY_CHANNELS, type DeliveryChannel } from '../../delivery/delivery-destination';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../delivery/delivery-message.entity';
import { NOTICE_KINDS } from '../../devices/new-sign-in-notice';
import { OTP_PURPOSES } from '../../otp/otp.types';
import { AdminPageQueryDto } from './admin-scope.dto';

export class ListDeliveryMessagesQueryDto extends AdminPageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ enum: DELIVERY_CHANNELS })
  @IsOptional()
  @IsIn(DELIVERY_CHANNELS)
  channel?: DeliveryChannel;
}

export class DeliveryMessageDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: DELIVERY_CHANNELS })
  channel!: string;

  @ApiProperty({ enum: [...OTP_PURPOSES, ...NOTICE_KINDS] })
  purpose!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  attempts!: number;

  @ApiProperty({ description: 'Masked', example: 'a***@example.com' })
  destination!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'SM0123456789abcdef' })
  providerMessageId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "Channel fallback: the message that went out instead of this one by the tenant's next channel",
  })
  fallbackMessageId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Channel fallback: the message this one stands in for (same code, same expiry)',
  })
  fallbackOf!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:01.000Z' })
  updatedAt!: string;
}

export class DeliveryMessagePageResponseDto {
  @ApiProperty({ type: [DeliveryMessageDto] })
  items!: DeliveryMessageDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class SuppressionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: DELIVERY_CHANNELS })
  channel!: string;

  @ApiProperty({ description: 'Masked', example: '+1415***0123' })
  destination!: string;

  @ApiProperty({ example: 'bounce: 21211' })
  reason!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' })
  createdAt!: string;
}

export class SuppressionPageResponseDto {
  @ApiProperty({ type: [SuppressionDto] })
  items!: SuppressionDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
