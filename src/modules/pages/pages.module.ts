import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CaptchaModule } from '../captcha/captcha.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TenantsModule } from '../tenants/tenants.module';
import { AccountPagesController } from './account-pages.controller';
import { PageExceptionFilter } from './page-exception.filter';
import { PageGate } from './page-gate.service';
import { PageRenderer } from './page-renderer.service';
import { SignInPagesController } from './sign-in-pages.controller';
import { SignUpPagesController } from './sign-up-pages.controller';

/**
 * The hosted pages (API.md "Hosted pages"): server-rendered forms over the auth flows, working
 * without JavaScript. A face like the API's controllers: it calls the flows, it owns no data.
 */
@Module({
  imports: [AuthModule, CaptchaModule, SessionsModule, TenantsModule],
  controllers: [SignInPagesController, SignUpPagesController, AccountPagesController],
  providers: [PageRenderer, PageGate, PageExceptionFilter],
})
export class PagesModule {}
