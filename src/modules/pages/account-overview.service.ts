import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountService } from '../account/account.service';
import { MfaService } from '../mfa/mfa.service';
import type { PageCaller } from './page-caller.service';
import { PageRenderer, type RenderOptions } from './page-renderer.service';

export const PROFILE_FIELDS = ['firstName', 'lastName', 'photoUrl', 'country', 'locale'] as const;

/** The languages the pages speak, offered as the profile's locale (a stored other tag is kept and shown). */
export const LOCALE_CHOICES = ['en', 'de'] as const;

/** A step-up action waiting for the password: what the re-authentication form carries and then does. */
export type StepUpIntent = 'email' | 'phone' | 'export' | 'delete' | 'security';

/** A code on its way: /account shows the form that takes it. */
export interface PendingChange {
  kind: 'email' | 'phone';
  /** The new address or number the code was sent to. */
  target: string;
}

export interface OverviewOptions extends RenderOptions {
  pending?: PendingChange;
}

/** Renders /account and the re-authentication form of its step-up actions, with the caller's own account. */
@Injectable()
export class AccountOverview {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly account: AccountService,
    private readonly mfa: MfaService,
  ) {}

  async show(request: FastifyRequest, reply: FastifyReply, caller: PageCaller, options: OverviewOptions = {}) {
    const account = await this.account.get(caller.auth);
    const values = options.values ?? {};
    const profile: Record<string, string> = {};
    for (const name of PROFILE_FIELDS) profile[name] = values[name] ?? account.profile[name] ?? '';
    return this.renderer.render(request, reply, 'account', {
      ...options,
      account,
      profile,
      localeChoices: LOCALE_CHOICES,
      userLocale: account.profile.locale,
    });
  }

  /**
   * The API's REAUTH_REQUIRED as a form: the password, and the action to continue with once it is
   * right (its fields as hidden inputs, never a password or a code).
   */
  async askPassword(
    request: FastifyRequest,
    reply: FastifyReply,
    caller: PageCaller,
    intent: StepUpIntent,
    failure: unknown,
    values: Record<string, string> = {},
  ) {
    const [account, factors] = await Promise.all([this.account.get(caller.auth), this.mfa.status(caller.auth)]);
    return this.renderer.render(request, reply, 'account-reauth', {
      failure,
      intent,
      values,
      // POST /api/auth/reauthenticate also takes a second factor: the way in for an account without a password.
      codeMethods: [
        ...(factors.totp.enabled ? ['totp'] : []),
        ...(factors.recoveryCodes.remaining > 0 ? ['recovery_code'] : []),
      ],
      userLocale: account.profile.locale,
    });
  }
}
