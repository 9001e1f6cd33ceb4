import { Injectable } from '@nestjs/common';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { AuditService } from '../audit/audit.service';
import { UsersService } from '../users/users.service';
import type { ChangePasswordDto } from './dto/password-auth.dto';
import { LoginFailureBudget } from './login-failure-budget.service';
import { NewPasswordPolicy } from './new-password.service';
import { PasswordReplacer } from './password-replacer.service';

/** A signed-in user changes their password: the current one is a guess like a sign-in's. */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly budget: LoginFailureBudget,
    private readonly passwords: NewPasswordPolicy,
    private readonly replacer: PasswordReplacer,
    private readonly audit: AuditService,
  ) {}

  async changePassword(auth: AuthPrincipal, ctx: RequestContext, input: ChangePasswordDto): Promise<void> {
    const user = await this.users.findById(auth.tenantId, auth.userId);
    if (!user) throw new AppException('UNAUTHORIZED');
    const failureKey = user.email
      ? this.budget.keyOfEmail(auth.tenantId, user.email)
      : this.budget.keyOfUser(auth.tenantId, user.id);
    await this.passwords.assert(ctx, input.newPassword, 'newPassword', 'change', user.id);
    await this.budget.take(failureKey);
    const currentOk = user.passwordHash
      ? await this.hasher.verify(user.passwordHash, input.currentPassword)
      : await this.hasher.verifyAgainstDummy(input.currentPassword);
    const subject = { tenantId: auth.tenantId, subjectId: user.id, sessionId: auth.sessionId };
    if (!currentOk) {
      await this.audit.record(
        { type: 'password.changed', outcome: 'failure', ...subject, data: { reason: 'invalid_credentials' } },
        ctx,
      );
      throw new AppException('INVALID_CREDENTIALS');
    }
    await this.budget.clear(failureKey);
    await this.replacer.replace(
      user,
      input.newPassword,
      {
        event: { type: 'password.changed', outcome: 'success', ...subject },
        revoke: { reason: 'password_changed', exceptSessionId: auth.sessionId },
      },
      ctx,
    );
  }
}
