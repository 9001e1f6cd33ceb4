import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app-exception';
import { TenantsService } from '../tenants/tenants.service';

const STYLESHEET = readFileSync(join(__dirname, 'assets', 'pages.css'));
const PASSKEY_SCRIPT = readFileSync(join(__dirname, 'assets', 'passkeys.js'));
/** @simplewebauthn/browser's browser bundle, served from here: the pages load nothing from elsewhere. */
const WEBAUTHN_SCRIPT = readFileSync(
  join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'),
);

/** Checked again here, whatever wrote the settings: the value goes into CSS as it is. */
const COLOUR = /^#[0-9a-fA-F]{6}$/;

/**
 * What every page links: the stylesheet, its tenant's colour (a file, so the CSP needs no inline
 * style), and the passkey buttons' scripts.
 */
@Controller('pages/assets')
@ApiExcludeController()
export class PageAssetsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get('pages.css')
  @Public()
  stylesheet(@Res() reply: FastifyReply) {
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET);
  }

  @Get('passkeys.js')
  @Public()
  passkeyScript(@Res() reply: FastifyReply) {
    return script(reply, PASSKEY_SCRIPT);
  }

  @Get('webauthn.js')
  @Public()
  webauthnScript(@Res() reply: FastifyReply) {
    return script(reply, WEBAUTHN_SCRIPT);
  }

  /** `--brand` for the tenant's `primaryColor`; empty for a tenant without one or none at all. */
  @Get('brand.css')
  @Public()
  async brandStylesheet(@Query('tenant') tenant: unknown, @Res() reply: FastifyReply) {
    let colour: string | undefined;
    try {
      colour = typeof tenant === 'string' ? (await this.tenants.settingsOf(tenant)).primaryColor : undefined;
    } catch (error) {
      if (!(error instanceof AppException && error.code === 'TENANT_UNKNOWN')) throw error;
    }
    const css = colour && COLOUR.test(colour) ? `:root { --brand: ${colour}; }\n` : '';
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=60').send(css);
  }
}

function script(reply: FastifyReply, body: Buffer) {
  return reply
    .type('text/javascript; charset=utf-8')
    .header('cache-control', 'public, max-age=3600')
    .header('x-content-type-options', 'nosniff')
    .send(body);
}
