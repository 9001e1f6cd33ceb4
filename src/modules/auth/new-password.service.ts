import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { RequestContext } from '../../common/http/request-context';
import { authConfig } from '../../config/auth.config';
import { TenantsService } from '../tenants/tenants.service';
import { BreachedPasswordsService, type PasswordFlow } from './breached-passwords.service';
import { assertPasswordPolicy, type PasswordField } from './password-policy';

/** Whether a password may be chosen: sign-up, reset and change ask the same questions. */
@Injectable()
export class NewPasswordPolicy {
  constructor(
    private readonly tenants: TenantsService,
    private readonly breached: BreachedPasswordsService,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {}

  /** The tenant's length policy and the common list, then the breach corpus (PASSWORD_BREACHED in block mode). */
  async assert(
    ctx: RequestContext,
    password: string,
    field: PasswordField,
    flow: PasswordFlow,
    subjectId?: string,
  ): Promise<void> {
    const settings = await this.tenants.settingsOf(ctx.tenantId);
    assertPasswordPolicy(password, settings.passwordMinLength ?? this.auth.passwordMinLength, field);
    await this.breached.screen({ password, field, flow, ctx, subjectId });
  }
}
