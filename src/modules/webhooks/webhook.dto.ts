import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { AdminPageQueryDto } from '../admin/dto/admin-scope.dto';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookAttempt, type WebhookDeliveryStatus } from './webhook.entities';
import { ALL_EVENTS, WEBHOOK_EVENT_TYPES } from './webhook-events';

const EVENT_CHOICES = [ALL_EVENTS, ...WEBHOOK_EVENT_TYPES];

/** POST /api/admin/webhooks. */
export class CreateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://crm.example.com/hooks/secureauth',
    maxLength: 2048,
    description:
      'http(s), no credentials or fragment. A host resolving to a private, loopback or link-local address is refused ' +
      '(here and again at each send) unless WEBHOOK_ALLOW_PRIVATE=true. Redirects are not followed.',
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({
    enum: EVENT_CHOICES,
    isArray: true,
    example: ['user.created', 'login.succeeded'],
    description: '`["*"]` for every type, including those added later',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_CHOICES.length)
  @IsIn(EVENT_CHOICES, { each: true })
  events!: string[];
}

/** PATCH /api/admin/webhooks/:id. */
export class UpdateWebhookEndpointDto extends PartialType(CreateWebhookEndpointDto) {
  @ApiPropertyOptional({ description: 'Switch deliveries off, or on again (also after the service disabled it)' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'https://crm.example.com/hooks/secureauth' })
  url!: string;

  @ApiProperty({ enum: EVENT_CHOICES, isArray: true })
  events!: string[];

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'failing',
    description: '`failing`: the service switched it off after WEBHOOK_DISABLE_AFTER_MS (a day) of failed deliveries',
  })
  disabledReason!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSuccessAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastFailureAt!: string | null;
}

export class CreatedWebhookEndpointDto extends WebhookEndpointDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Signs every delivery (Standard Webhooks). Shown this once; kept encrypted.',
  })
  secret!: string;
}

export class WebhookEndpointPageDto {
  @ApiProperty({ type: [WebhookEndpointDto] })
  items!: WebhookEndpointDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class ListWebhookDeliveriesQueryDto extends AdminPageQueryDto {
  @ApiPropertyOptional({ enum: WEBHOOK_DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;
}

export class WebhookAttemptDto implements WebhookAttempt {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ type: Number, nullable: true, example: 500, description: 'null when no answer came' })
  responseStatus!: number | null;

  @ApiProperty({ example: 84 })
  latencyMs!: number;

  @ApiProperty({ type: String, nullable: true, example: 'timeout', description: 'Why no answer came, or null' })
  error!: string | null;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The body `id` and `webhook-id` header; the same for every endpoint' })
  eventId!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  type!: string;

  @ApiProperty({ enum: WEBHOOK_DELIVERY_STATUSES })
  status!: WebhookDeliveryStatus;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ type: Number, nullable: true, example: 200, description: "The last attempt's HTTP status" })
  responseStatus!: number | null;

  @ApiProperty({ type: [WebhookAttemptDto], description: 'Every attempt, oldest first' })
  attemptLog!: WebhookAttemptDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  items!: WebhookDeliveryDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
