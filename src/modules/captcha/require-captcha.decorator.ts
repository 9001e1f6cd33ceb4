import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiErrors } from '../../common/http/api-docs';
import { CaptchaGuard } from './captcha.guard';
import { CAPTCHA_TOKEN_MAX_LENGTH } from './captcha.service';

/** Enforces the tenant's CAPTCHA on a route and documents its error, in one place so they cannot drift. */
export const RequireCaptcha = () => applyDecorators(UseGuards(CaptchaGuard), ApiErrors('CAPTCHA_REQUIRED'));

/** The body field of a @RequireCaptcha route: accepted (and ignored) where the tenant has CAPTCHA off. */
export const CaptchaTokenField = () =>
  applyDecorators(
    ApiPropertyOptional({
      maxLength: CAPTCHA_TOKEN_MAX_LENGTH,
      example: '0.ZW5jb2RlZC10dXJuc3RpbGUtdG9rZW4',
      description:
        "The CAPTCHA widget's token (Cloudflare Turnstile or hCaptcha), checked server-side when the tenant's " +
        '`captcha` setting is `always` (else ignored); missing or not verified: 400 CAPTCHA_REQUIRED',
    }),
    IsOptional(),
    IsString(),
    MaxLength(CAPTCHA_TOKEN_MAX_LENGTH),
  );
