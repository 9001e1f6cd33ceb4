import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DeliveryModule } from '../../delivery/delivery.module';
import { DevicesModule } from '../../devices/devices.module';
import { MfaModule } from '../../mfa/mfa.module';
import { SessionsModule } from '../../sessions/sessions.module';
import { UsersModule } from '../../users/users.module';
import { ACCOUNT_PURGE_QUEUE } from './account-purge.constants';
import { AccountPurgeProcessor } from './account-purge.processor';
import { OidcClientsModule } from '../../oidc/clients/oidc-clients.module';
import { SignInRiskModule } from '../../sign-in-risk/sign-in-risk.module';
import { SignInPlaces } from '../../sign-in-risk/sign-in-places.service';
import { WebhooksModule } from '../../webhooks/webhooks.module';
import { WebhookDeliveries } from '../../webhooks/webhook-deliveries.service';
import { DeliveryService } from '../../delivery/delivery.service';
import { DevicesService } from '../../devices/devices.service';
import { MfaService } from '../../mfa/mfa.service';
import { OidcClients } from '../../oidc/clients/oidc-clients.service';
import { SessionRevoker } from '../../sessions/session-revoker.service';
import { USER_DATA_ERASERS, type UserDataEraser } from './account-purge.constants';
import { AccountPurgeService } from './account-purge.service';

/** Worker role only: erases deleted accounts at their purge time. */
@Module({
  imports: [
    BullModule.registerQueue({ name: ACCOUNT_PURGE_QUEUE }),
    UsersModule,
    SessionsModule,
    DevicesModule,
    MfaModule,
    DeliveryModule,
    OidcClientsModule,
    SignInRiskModule,
    WebhooksModule,
  ],
  providers: [
    {
      provide: USER_DATA_ERASERS,
      useFactory: (...erasers: UserDataEraser[]) => erasers,
      inject: [
        SessionRevoker,
        DevicesService,
        MfaService,
        DeliveryService,
        OidcClients,
        SignInPlaces,
        WebhookDeliveries,
      ],
    },
    AccountPurgeService,
    AccountPurgeProcessor,
  ],
  exports: [AccountPurgeService],
})
export class AccountPurgeModule {}
