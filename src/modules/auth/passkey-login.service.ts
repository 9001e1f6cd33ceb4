import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { PasskeysService } from '../mfa/passkeys.service';
import type { AuthResultDto } from '../sessions/dto/auth-result.dto';
import type { SessionAnswer } from '../sessions/session-cookies';
import { User } from '../users/user.entity';
import { SignInService } from './sign-in.service';
import type { VerifyPasskeyLoginDto } from './dto/passkey-login.dto';

/**
 * Passkey as the only factor (API.md "passwordless"). The credential id finds the passkey and
 * the user handle must name its owner. The authenticator must verify the user (PIN,
 * biometrics: two factors in one gesture), now and when the passkey was registered, so the
 * session is aal 2 with amr ['hwk']; a key that only proves presence is a second factor, never
 * a sign-in of its own. Every failure, unknown credential included, is the same 401 UNAUTHORIZED.
 */
@Injectable()
export class PasskeyLoginService {
  constructor(
    private readonly em: EntityManager,
    private readonly passkeys: PasskeysService,
    private readonly audit: AuditService,
    private readonly signIn: SignInService,
  ) {}

  /** The body must be empty (`{}` or none): unknown fields are refused like everywhere else. */
  options(ctx: RequestContext, body: unknown) {
    if (body !== undefined && body !== null) {
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new AppException('VALIDATION_FAILED', [{ field: 'body', message: 'must be an object' }]);
      }
      const extra = Object.keys(body);
      if (extra.length > 0) {
        throw new AppException(
          'VALIDATION_FAILED',
          extra.map((field) => ({ field, message: 'is not allowed' })),
        );
      }
    }
    return this.passkeys.discoverableOptions(ctx.tenantId);
  }

  async verify(ctx: RequestContext, input: VerifyPasskeyLoginDto): Promise<SessionAnswer<AuthResultDto>> {
    const challenge = await this.passkeys.takeDiscoverableChallenge(ctx.tenantId, input.response);
    const verified = challenge
      ? await this.passkeys.verifyAssertion(ctx.tenantId, challenge, input.response, { userHandle: true })
      : null;
    const user = verified
      ? await this.em.findOne(User, { id: verified.passkey.userId, tenantId: ctx.tenantId, status: { $ne: 'deleted' } })
      : null;
    if (!verified || !user) {
      await this.audit.record(
        { type: 'login.failed', outcome: 'failure', tenantId: ctx.tenantId, data: { method: 'passkey' } },
        ctx,
      );
      throw new AppException('UNAUTHORIZED');
    }
    if (user.status !== 'active') throw new AppException('ACCOUNT_RESTRICTED');
    return this.signIn.startSession(
      {
        user,
        amr: ['hwk'],
        method: 'passkey',
        data: { passkeyId: verified.passkey.id },
        client: input.client,
        device: input.device,
        ctx,
      },
      2,
    );
  }
}
