import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import type { RequestContext } from '../../common/http/request-context';
import { DurationSample } from '../otp/duration-sample';
import { PendingRegistrationsService, type LiveRegistration } from '../users/pending-registrations.service';
import { UsersService } from '../users/users.service';
import type { RegisterDto, ResendVerificationDto } from './dto/password-auth.dto';
import { NewPasswordPolicy } from './new-password.service';
import { QuietCodeSender } from './quiet-code-sender.service';

export const VERIFICATION_SENT = { status: 'verification_sent' } as const;

/**
 * Email + password sign-up (API.md "Email + password"). Every answer that could tell an
 * existing account from an unknown email is made identical: same status, body and headers,
 * and one password hash either way so that timing does not tell either.
 *
 * A registration is no account until its mailbox is proven: it waits as a pending
 * registration, and only the verification code issued for it makes it a user, with the
 * password given in that registration (EmailVerificationService). Registering the address
 * again never changes that password; with a different one it discards it (nobody can tell
 * which registrant owns the mailbox), and the owner then gets the account by the code with no
 * password at all.
 */
@Injectable()
export class SignUpService {
  /**
   * What the real path costs from the account lookup on (a new account: an insert and a code
   * sent; a resend: a code sent), so that an email without it answers as late.
   */
  private readonly durations = { register: new DurationSample(25), resend: new DurationSample(25) };

  constructor(
    private readonly users: UsersService,
    private readonly registrations: PendingRegistrationsService,
    private readonly codes: QuietCodeSender,
    private readonly hasher: PasswordHasher,
    private readonly passwords: NewPasswordPolicy,
    private readonly clock: Clock,
  ) {}

  async register(ctx: RequestContext, input: RegisterDto): Promise<typeof VERIFICATION_SENT> {
    // Before the lookup, for every email: a refused password says nothing about the address.
    await this.passwords.assert(ctx, input.password, 'password', 'register');
    // From before the lookups: what they find changes what they cost.
    const startedAt = DurationSample.start();
    const now = this.clock.now();
    // Held by any account, a deleted one included (it keeps the address until its purge).
    if (await this.users.holderOf(ctx.tenantId, { email: input.email })) {
      // The argon2 work of a real registration, so that the machine is as busy either way.
      await this.hasher.hash(input.password);
      await this.codes.pretend(ctx, input.email, 'email_verify', this.durations.register, startedAt);
      return VERIFICATION_SENT;
    }
    const pending = await this.registrations.findLive(ctx.tenantId, input.email, now);
    if (pending) {
      await this.registerAgain(ctx, input, pending);
      return VERIFICATION_SENT;
    }
    const passwordHash = await this.hasher.hash(input.password);
    const registrationId = await this.registrations.create(
      {
        tenantId: ctx.tenantId,
        email: input.email,
        passwordHash,
        firstName: input.firstName,
        lastName: input.lastName,
      },
      now,
    );
    if (!registrationId) {
      // A concurrent registration of the address won: this one registers it again.
      const winner = await this.registrations.findLive(ctx.tenantId, input.email, now);
      if (winner) await this.registerAgain(ctx, input, winner);
      return VERIFICATION_SENT;
    }
    if (await this.sendVerification(ctx, input.email, registrationId)) this.durations.register.record(startedAt);
    return VERIFICATION_SENT;
  }

  async resendVerification(ctx: RequestContext, input: ResendVerificationDto): Promise<typeof VERIFICATION_SENT> {
    const startedAt = DurationSample.start();
    const pending = await this.registrations.findLive(ctx.tenantId, input.email, this.clock.now());
    if (pending) {
      // A new code for the same registration: a resend never changes what the code activates.
      if (await this.sendVerification(ctx, input.email, pending.id)) this.durations.resend.record(startedAt);
    } else {
      await this.codes.pretend(ctx, input.email, 'email_verify', this.durations.resend, startedAt);
    }
    return VERIFICATION_SENT;
  }

  /**
   * The address is registered and waiting for its code. Its registration stays what it is: a
   * second registrant never sets its password, and a different password discards it. One
   * argon2 operation, as on every other path of register.
   */
  private async registerAgain(ctx: RequestContext, input: RegisterDto, pending: LiveRegistration): Promise<void> {
    const samePassword = await this.hasher.verify(pending.passwordHash, input.password);
    if (!samePassword && !pending.isContested) await this.registrations.contest(pending.id, this.clock.now());
    await this.sendVerification(ctx, input.email, pending.id);
  }

  /** A code that activates registration `registrationId` (and nothing else) when typed back. */
  private sendVerification(ctx: RequestContext, address: string, registrationId: string): Promise<boolean> {
    return this.codes.send(ctx, address, 'email_verify', registrationId);
  }
}
