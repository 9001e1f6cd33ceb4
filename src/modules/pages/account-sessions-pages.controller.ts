import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app-exception';
import { formatPlace } from '../../common/i18n/places';
import { DeviceManagementService } from '../account/device-management.service';
import { AuditService } from '../audit/audit.service';
import { ListHistoryQueryDto } from '../audit/dto/history.dto';
import { UpdateDeviceDto } from '../devices/dto/device.dto';
import { SessionQueries } from '../sessions/session-queries.service';
import { SessionRevoker } from '../sessions/session-revoker.service';
import { flowOf, flowQuery, text, type FormBody } from './page-context';
import { PageExceptionFilter } from './page-exception.filter';
import { PageCallers, redirectWithNotice, type EnteredPage, type PageCaller } from './page-caller.service';
import { PageGate } from './page-gate.service';
import { PageRenderer, type RenderOptions } from './page-renderer.service';

const NOTICES = {
  session_revoked: 'sessions.revoked',
  others_revoked: 'sessions.othersRevoked',
  device_renamed: 'sessions.deviceRenamed',
  device_forgotten: 'sessions.deviceForgotten',
} satisfies Record<string, string>;

function noticeOf(request: FastifyRequest): string | undefined {
  const notice = text(request.query as FormBody, 'notice');
  return Object.hasOwn(NOTICES, notice) ? NOTICES[notice as keyof typeof NOTICES] : undefined;
}

/** GET /api/auth/history's page size when the link names none. */
const HISTORY_PAGE = 20;

/** A time as the page's language writes it, in UTC (the page knows no time zone without JavaScript). */
export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '';
  const format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  return `${format.format(new Date(iso))} UTC`;
}

/**
 * /account/sessions (live sessions and devices: revoke one or all others, rename or forget a
 * device) and /account/history, over the services of the API's session, device and history routes.
 */
@Controller('account')
@ApiExcludeController()
@UseFilters(PageExceptionFilter)
export class AccountSessionsPagesController {
  constructor(
    private readonly renderer: PageRenderer,
    private readonly gate: PageGate,
    private readonly callers: PageCallers,
    private readonly queries: SessionQueries,
    private readonly revoker: SessionRevoker,
    private readonly devices: DeviceManagementService,
    private readonly audit: AuditService,
  ) {}

  @Get('sessions')
  @Public()
  async sessionsPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account/sessions');
    if (!entered) return;
    const { caller } = entered;
    return this.show(request, reply, caller, { notice: noticeOf(request) });
  }

  /** DELETE /api/auth/sessions/:sessionId: anyone else's session is as unknown as a missing one (404). */
  @Post('sessions/:id/revoke')
  @Public()
  async revokeSession(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string) {
    return this.change(request, reply, 'session_revoked', async ({ ctx, caller: { auth } }) => {
      const own = { tenantId: auth.tenantId, userId: auth.userId, id };
      if ((await this.revoker.revoke(own, 'user_revoked', ctx)) === 0) throw new AppException('NOT_FOUND');
    });
  }

  /** DELETE /api/auth/sessions: every session but this one. */
  @Post('sessions/revoke-others')
  @Public()
  async revokeOtherSessions(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.change(request, reply, 'others_revoked', async ({ ctx, caller: { auth } }) => {
      const others = { tenantId: auth.tenantId, userId: auth.userId, exceptId: auth.sessionId };
      await this.revoker.revoke(others, 'user_revoked_others', ctx);
    });
  }

  /** PATCH /api/devices/:id with `name`. */
  @Post('devices/:id/rename')
  @Public()
  async renameDevice(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string) {
    return this.change(request, reply, 'device_renamed', async ({ ctx, caller }) => {
      const input = await this.gate.input(UpdateDeviceDto, request.body as FormBody, ['name']);
      // The API takes `name` or `trusted`; this form is for the name alone.
      if (input.name === undefined)
        throw new AppException('VALIDATION_FAILED', [{ field: 'name', message: 'is required' }]);
      await this.devices.update(caller.auth, id, input, ctx);
    });
  }

  /** DELETE /api/devices/:id: the device is forgotten and every session started from it ends. */
  @Post('devices/:id/forget')
  @Public()
  async forgetDevice(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string) {
    return this.change(request, reply, 'device_forgotten', ({ ctx, caller }) =>
      this.devices.remove(caller.auth, id, ctx),
    );
  }

  /** GET /api/auth/history, a page at a time: `?cursor=` is the API's nextCursor. */
  @Get('history')
  @Public()
  async historyPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const entered = await this.callers.enter(request, reply, '/account/history');
    if (!entered) return;
    const { caller } = entered;
    const userLocale = await this.callers.localeOf(caller);
    const { auth } = caller;
    try {
      const query = await this.gate.input(ListHistoryQueryDto, request.query as FormBody, ['limit', 'cursor']);
      const page = await this.audit.historyOf(auth.tenantId, auth.userId, query.limit ?? HISTORY_PAGE, query.cursor);
      const next = new URLSearchParams(flowQuery({ ...flowOf(request), returnTo: undefined }).slice(1));
      if (page.nextCursor) next.set('cursor', page.nextCursor);
      if (query.limit) next.set('limit', String(query.limit));
      const nextHref = page.nextCursor ? `/account/history?${next.toString()}` : undefined;
      return this.renderer.render(request, reply, 'account-history', {
        items: page.items,
        nextHref,
        formatTime,
        formatPlace,
        userLocale,
      });
    } catch (failure) {
      return this.renderer.render(request, reply, 'account-history', {
        failure,
        items: [],
        formatTime,
        formatPlace,
        userLocale,
      });
    }
  }

  /** A form of /account/sessions: the change, then back to the page saying so; a refusal shown on the page. */
  private async change(
    request: FastifyRequest,
    reply: FastifyReply,
    notice: keyof typeof NOTICES,
    apply: (entered: EnteredPage) => Promise<unknown>,
  ) {
    const entered = await this.callers.enter(request, reply, '/account/sessions', true);
    if (!entered) return;
    try {
      await apply(entered);
      return redirectWithNotice(request, reply, '/account/sessions', notice);
    } catch (failure) {
      return this.show(request, reply, entered.caller, { failure });
    }
  }

  private async show(request: FastifyRequest, reply: FastifyReply, caller: PageCaller, options: RenderOptions) {
    const { auth } = caller;
    const [sessions, devices, userLocale] = await Promise.all([
      this.queries.listLive(auth.tenantId, auth.userId, auth.sessionId),
      this.devices.list(auth),
      this.callers.localeOf(caller),
    ]);
    return this.renderer.render(request, reply, 'account-sessions', {
      ...options,
      sessions,
      devices,
      formatTime,
      formatPlace,
      userLocale,
    });
  }
}
