import {
  Body,
  CanActivate,
  Controller,
  ExecutionContext,
  HttpCode,
  HttpStatus,
  Injectable,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiNoContentResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../../common/auth/public.decorator';
import { ApiErrors, Operation } from '../../../common/http/api-docs';
import { DeliveryWebhooksService } from './delivery-webhooks.service';
import { GenericWebhookDto, TwilioStatusCallbackDto } from './webhook.dto';

/** Checks the signature before the body is even validated: an unsigned caller learns nothing about the format. */
@Injectable()
export class GenericWebhookSignatureGuard implements CanActivate {
  constructor(private readonly webhooks: DeliveryWebhooksService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.webhookSignature = this.webhooks.authenticateGeneric(request);
    return true;
  }
}

/** Server-to-server callbacks of the mail and SMS providers; authenticated by their signatures, not by tokens. */
@ApiTags('operations')
@Controller('api/delivery/webhooks')
export class DeliveryWebhooksController {
  constructor(private readonly webhooks: DeliveryWebhooksService) {}

  @Post('generic')
  @Public()
  @UseGuards(GenericWebhookSignatureGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'deliveryWebhookGeneric',
    'Report a delivery, bounce, complaint or failure of a message (signed)',
    'A permanent bounce or a complaint suppresses the recipient. A replayed event changes nothing.',
  )
  @ApiHeader({
    name: 'X-SecureAuth-Signature',
    required: true,
    description:
      't=<unix seconds>,v1=<hex HMAC-SHA256(DELIVERY_WEBHOOK_SECRET, t + "." + raw body)>; at most 300 s old',
  })
  @ApiBody({ type: GenericWebhookDto })
  @ApiNoContentResponse({ description: 'Accepted (also for a replay or an unknown message)' })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE')
  async deliveryWebhookGeneric(@Req() request: FastifyRequest, @Body() body: GenericWebhookDto): Promise<void> {
    await this.webhooks.handleGeneric(request.webhookSignature ?? this.webhooks.authenticateGeneric(request), body);
  }

  @Post('twilio')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @Operation(
    'deliveryWebhookTwilio',
    "Twilio's message status callback",
    'Form-encoded, signed with X-Twilio-Signature; the message is named by the `messageId` query parameter of the StatusCallback URL.',
  )
  @ApiHeader({ name: 'X-Twilio-Signature', required: true, description: "Twilio's request signature" })
  @ApiQuery({
    name: 'messageId',
    required: true,
    description: 'The delivery message id (set in the StatusCallback URL)',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TwilioStatusCallbackDto })
  @ApiNoContentResponse({ description: 'Accepted' })
  @ApiErrors('UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE')
  deliveryWebhookTwilio(@Req() request: FastifyRequest): Promise<void> {
    return this.webhooks.handleTwilio(request);
  }
}
