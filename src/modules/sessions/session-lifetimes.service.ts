import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { authConfig } from '../../config/auth.config';
import { TenantsService } from '../tenants/tenants.service';

/** Seconds each token and session lasts: the tenant's own setting, else the service default. */
export interface Lifetimes {
  access: number;
  refresh: number;
  idle: number;
}

@Injectable()
export class SessionLifetimes {
  constructor(
    private readonly tenants: TenantsService,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {}

  async of(tenantId: string): Promise<Lifetimes> {
    const settings = await this.tenants.settingsOf(tenantId);
    return {
      access: settings.accessTokenTtl ?? this.auth.accessTokenTtl,
      refresh: settings.refreshTokenTtl ?? this.auth.refreshTokenTtl,
      idle: settings.sessionIdleTtl ?? this.auth.sessionIdleTtl,
    };
  }
}
