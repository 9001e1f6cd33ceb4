import { Module } from '@nestjs/common';
import { CaptchaGuard } from './captcha.guard';
import { CaptchaService } from './captcha.service';

/** The CAPTCHA check of the sign-in routes (tenant setting `captcha`), as a guard the routes opt into. */
@Module({
  providers: [CaptchaService, CaptchaGuard],
  exports: [CaptchaService, CaptchaGuard],
})
export class CaptchaModule {}
