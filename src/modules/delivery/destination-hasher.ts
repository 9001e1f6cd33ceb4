import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CryptoService } from '../../common/crypto/crypto.service';
import { deliveryConfig } from '../../config/delivery.config';
import type { DeliveryDestination } from './delivery-destination';

/** What message and suppression rows keep of an address: a keyed hash, never the address itself. */
@Injectable()
export class DestinationHasher {
  constructor(
    private readonly crypto: CryptoService,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
  ) {}

  /** Keyed, so the stored hash of a phone number cannot be reversed by enumerating numbers. */
  hash(destination: DeliveryDestination): string {
    return this.crypto.hmac(this.config.destinationPepper, `${destination.channel}:${destination.address}`);
  }
}
