import { Module } from '@nestjs/common';
import { RecentAuthGuard } from '../../common/auth/require-recent-auth.decorator';
import { AccountModule } from '../account/account.module';
import { AuthModule } from '../auth/auth.module';
import { CaptchaModule } from '../captcha/captcha.module';
import { SessionsModule } from '../sessions/sessions.module';
import { MfaModule } from '../mfa/mfa.module';
import { TenantsModule } from '../tenants/tenants.module';
import { AccountContactPagesController } from './account-contact-pages.controller';
import { AccountOverview } from './account-overview.service';
import { AccountPagesController } from './account-pages.controller';
import { AccountSessionsPagesController } from './account-sessions-pages.controller';
import { PageCallers } from './page-caller.service';
import { AccountSecurityPagesController } from './account-security-pages.controller';
import { PageAssetsController } from './page-assets.controller';
import { PasskeyPagesController } from './passkey-pages.controller';
import { PageRefreshController } from './page-refresh.controller';
import { PageExceptionFilter } from './page-exception.filter';
import { PageContinuations } from './page-continuations';
import { PageGate } from './page-gate.service';
import { PageRenderer } from './page-renderer.service';
import { SignInPagesController } from './sign-in-pages.controller';
import { SignUpPagesController } from './sign-up-pages.controller';

/**
 * The hosted pages (API.md "Hosted pages"): server-rendered forms over the auth flows, working
 * without JavaScript. A face like the API's controllers: it calls the flows, it owns no data.
 */
@Module({
  imports: [AccountModule, AuthModule, CaptchaModule, MfaModule, SessionsModule, TenantsModule],
  controllers: [
    SignInPagesController,
    SignUpPagesController,
    AccountPagesController,
    AccountContactPagesController,
    AccountSessionsPagesController,
    PageRefreshController,
    PageAssetsController,
    AccountSecurityPagesController,
    PasskeyPagesController,
  ],
  providers: [
    PageRenderer,
    PageGate,
    PageExceptionFilter,
    PageCallers,
    PageContinuations,
    AccountOverview,
    RecentAuthGuard,
  ],
  exports: [PageRenderer, PageGate, PageExceptionFilter, PageCallers, PageContinuations],
})
export class PagesModule {}
