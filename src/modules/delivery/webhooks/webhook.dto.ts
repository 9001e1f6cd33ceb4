import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { ProviderEventType } from './provider-events.service';

export const GENERIC_EVENT_TYPES = [
  'delivered',
  'bounce',
  'complaint',
  'failed',
] as const satisfies ProviderEventType[];

/** A provider's report about one message, signed with DELIVERY_WEBHOOK_SECRET (X-SecureAuth-Signature). */
export class GenericWebhookDto {
  @ApiProperty({ enum: GENERIC_EVENT_TYPES, example: 'bounce' })
  @IsIn(GENERIC_EVENT_TYPES)
  type!: ProviderEventType;

  @ApiProperty({ format: 'uuid', description: 'The X-SecureAuth-Message-Id of the message' })
  @IsUUID()
  messageId!: string;

  @ApiPropertyOptional({ example: 'ada@example.com', maxLength: 320 })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  recipient?: string;

  @ApiPropertyOptional({ example: '550 5.1.1 mailbox unavailable', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ description: 'For a bounce: false for a soft (temporary) bounce; absent counts as permanent' })
  @IsOptional()
  @IsBoolean()
  permanent?: boolean;
}

/** The fields of Twilio's status callback the service reads; Twilio sends more, all of them signed. */
export class TwilioStatusCallbackDto {
  @ApiProperty({ example: 'SM0123456789abcdef0123456789abcdef' })
  MessageSid!: string;

  @ApiProperty({ example: 'undelivered', description: 'queued, sent, delivered, undelivered, failed, …' })
  MessageStatus!: string;

  @ApiPropertyOptional({ example: '30005' })
  ErrorCode?: string;
}
