import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { UAParser } from 'ua-parser-js';
import { GeoipService } from '../../common/geoip/geoip.service';
import { Clock } from '../../common/clock/clock';
import { pickLanguage } from '../../common/i18n/languages';
import { AppException } from '../../common/errors';
import type { RequestContext } from '../../common/http/request-context';
import { sessionsConfig } from '../../config/sessions.config';
import { AuditService } from '../audit/audit.service';
import { DeliveryService } from '../delivery/delivery.service';
import type { DeviceInputDto } from './dto/device.dto';
import type { User } from '../users/user.entity';
import { Device } from './device.entity';
import { type NoticeKind, renderSignInNotice, type SignInNoticeVars } from './new-sign-in-notice';
import type { DeviceResponseDto, DeviceSummaryDto, UpdateDeviceDto } from './dto/device.dto';

/** Long enough for every retry of a provider outage; a sign-in notice a day late is still worth reading. */
const NOTICE_TTL_SECONDS = 24 * 3600;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "Chrome on macOS" from a User-Agent; the client's own name wins when it sends one. */
export function readableDeviceName(userAgent: string | null, input?: DeviceInputDto): string {
  if (input?.name) return input.name;
  const parsed = userAgent ? UAParser(userAgent) : undefined;
  const browser = parsed?.browser.name;
  const os = parsed?.os.name ?? input?.platform;
  if (browser && os) return `${browser} on ${os}`.slice(0, 100);
  return (input?.model ?? browser ?? os ?? 'Unknown device').slice(0, 100);
}

/** The client's device id when it has one, else a fingerprint of what the browser tells us. */
function deviceKeyOf(userAgent: string | null, input?: DeviceInputDto): string {
  const source = input?.id ? `id:${input.id}` : `fp:${userAgent ?? ''}|${input?.platform ?? ''}`;
  return createHash('sha256').update(source).digest('hex');
}

@Injectable()
export class DevicesService {
  private readonly logger = new Logger(DevicesService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly delivery: DeliveryService,
    private readonly geoip: GeoipService,
    @Inject(sessionsConfig.KEY) private readonly limits: ConfigType<typeof sessionsConfig>,
  ) {}

  /**
   * One upsert: two sign-ins from the same new device at once still give one record, and
   * exactly one of them reports it as new (audited device.new).
   */
  async recordSignIn(
    user: User,
    input: DeviceInputDto | undefined,
    ctx: RequestContext,
    em: EntityManager = this.em,
  ): Promise<{ device: Device; isNew: boolean }> {
    const now = this.clock.now();
    const parsed = ctx.userAgent ? UAParser(ctx.userAgent) : undefined;
    const place = this.geoip.lookup(ctx.ip);
    const rows = await em.execute<Array<Record<string, unknown> & { inserted: boolean }>>(
      `insert into "device" ("id", "tenant_id", "user_id", "device_key", "name", "platform", "model", "app_version",
         "user_agent", "first_seen_at", "last_seen_at", "last_ip", "last_country", "last_city", "is_trusted")
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false)
       on conflict ("tenant_id", "user_id", "device_key") do update set
         "name" = case when ? then excluded."name" else "device"."name" end,
         "platform" = coalesce(excluded."platform", "device"."platform"),
         "model" = coalesce(excluded."model", "device"."model"),
         "app_version" = coalesce(excluded."app_version", "device"."app_version"),
         "user_agent" = coalesce(excluded."user_agent", "device"."user_agent"),
         "last_seen_at" = excluded."last_seen_at",
         "last_ip" = excluded."last_ip",
         "last_country" = excluded."last_country",
         "last_city" = excluded."last_city"
       returning *, (xmax = 0) as "inserted"`,
      [
        user.tenantId,
        user.id,
        deviceKeyOf(ctx.userAgent, input),
        readableDeviceName(ctx.userAgent, input),
        input?.platform ?? parsed?.os.name ?? null,
        input?.model ?? parsed?.device.model ?? null,
        input?.appVersion ?? null,
        ctx.userAgent,
        now,
        now,
        ctx.ip,
        place?.countryCode ?? null,
        place?.city?.slice(0, 100) ?? null,
        input?.name !== undefined,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error('device upsert returned nothing');
    const { inserted, ...columns } = row;
    const device = em.map(Device, columns);
    if (inserted) {
      await this.audit.record(
        {
          type: 'device.new',
          outcome: 'success',
          tenantId: user.tenantId,
          subjectId: user.id,
          deviceId: device.id,
          data: { name: device.name },
        },
        ctx,
        em,
      );
    }
    return { device, isNew: inserted };
  }

  /**
   * Whether this sign-in comes from a device the user marked trusted. Only a device the client
   * names by its own id (an app's installation id) counts: a browser known by its User-Agent
   * alone could be anyone's browser of that make, and trust must not be claimable by copying one.
   */
  async isTrusted(
    user: User,
    input: DeviceInputDto | undefined,
    ctx: RequestContext,
    em: EntityManager = this.em,
  ): Promise<boolean> {
    if (!input?.id) return false;
    const rows = await em.execute<unknown[]>(
      `select 1 from "device" where "tenant_id" = ? and "user_id" = ? and "device_key" = ? and "is_trusted" limit 1`,
      [user.tenantId, user.id, deviceKeyOf(ctx.userAgent, input)],
    );
    return rows.length > 0;
  }

  /**
   * Forgets the user's devices beyond MAX_DEVICES_PER_USER, least recently seen first (the
   * one signing in now was just seen), audited `device.removed`; answers their ids so that
   * the caller ends their sessions in the same transaction.
   */
  async forgetBeyondCap(user: User, ctx: RequestContext, em: EntityManager): Promise<string[]> {
    const rows = await em.execute<Array<{ id: string; name: string }>>(
      `delete from "device" where "id" in (
         select "id" from "device" where "tenant_id" = ? and "user_id" = ?
          order by "last_seen_at" desc, "first_seen_at" desc, "id" desc
         offset ?)
       returning "id", "name"`,
      [user.tenantId, user.id, this.limits.maxDevicesPerUser],
    );
    for (const row of rows) {
      await this.audit.record(
        {
          type: 'device.removed',
          outcome: 'success',
          tenantId: user.tenantId,
          subjectId: user.id,
          deviceId: row.id,
          data: { name: row.name, reason: 'device_limit' },
        },
        ctx,
        em,
      );
    }
    return rows.map((row) => row.id);
  }

  /**
   * Emails the user about a sign-in from a device seen for the first time (call it after the
   * session committed). Not for the first device of an account: that one is the user's own
   * sign-up, not news.
   */
  async notifyNewSignIn(user: User, device: Device, ctx: RequestContext): Promise<void> {
    if (!user.email || !user.emailVerifiedAt) return;
    await this.bestEffort('new_sign_in', ctx, async () => {
      const others = await this.em
        .getConnection()
        .execute<unknown[]>(`select 1 from "device" where "tenant_id" = ? and "user_id" = ? and "id" <> ? limit 1`, [
          user.tenantId,
          user.id,
          device.id,
        ]);
      if (others.length === 0) return;
      await this.enqueueNotice(user, 'new_sign_in', ctx, device.id, {
        deviceName: device.name,
        ip: ctx.ip,
        at: device.firstSeenAt,
        city: device.lastCity,
        countryCode: device.lastCountry,
      });
    });
  }

  /** Emails the user about a sign-in from a country not seen for the account in 90 days (SignInRisk decides). */
  async notifyNewPlace(user: User, place: { city?: string | null; countryCode: string }, ctx: Partial<RequestContext>) {
    if (!user.email || !user.emailVerifiedAt) return;
    await this.bestEffort('new_place', ctx, () =>
      this.enqueueNotice(user, 'new_place', ctx, undefined, {
        deviceName: readableDeviceName(ctx.userAgent ?? null),
        ip: ctx.ip ?? null,
        at: this.clock.now(),
        ...place,
      }),
    );
  }

  /** A notice to the verified address, in the user's language, audited `notice.sent` with the message id. */
  private async enqueueNotice(
    user: User,
    kind: NoticeKind,
    ctx: Partial<RequestContext>,
    deviceId: string | undefined,
    vars: SignInNoticeVars,
  ): Promise<void> {
    await this.delivery.enqueue({
      tenantId: user.tenantId,
      userId: user.id,
      destination: { channel: 'email', address: user.email! },
      purpose: kind,
      content: renderSignInNotice(
        kind,
        vars,
        pickLanguage({ userLocale: user.locale, acceptLanguage: ctx.acceptLanguage }),
      ),
      ttlSeconds: NOTICE_TTL_SECONDS,
      audit: { type: 'notice.sent', deviceId, ctx, data: { kind, channel: 'email' } },
    });
  }

  /** The sign-in already happened: a notice that could not be queued is logged, never thrown. */
  private async bestEffort(kind: NoticeKind, ctx: Partial<RequestContext>, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.logger.warn({
        msg: 'new sign-in notice not queued',
        kind,
        requestId: ctx.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * The user's devices, most recently seen first. `liveSessions` (per device id) comes from
   * sessions through the caller: devices sit below sessions and never read their table.
   */
  async listFor(
    tenantId: string,
    userId: string,
    liveSessions: ReadonlyMap<string, number>,
  ): Promise<DeviceResponseDto[]> {
    // The cap bounds the list; the limit also bounds a user who was over it before a lower cap.
    const devices = await this.em.find(
      Device,
      { tenantId, userId },
      { orderBy: { lastSeenAt: 'desc', id: 'asc' }, limit: this.limits.maxDevicesPerUser },
    );
    return devices.map((device) => this.viewOf(device, liveSessions.get(device.id) ?? 0));
  }

  /** The caller's own device, or NOT_FOUND (also for other users' ids and malformed ids). */
  async findOwn(tenantId: string, userId: string, id: string): Promise<Device> {
    const device = UUID.test(id) ? await this.em.findOne(Device, { id, tenantId, userId }) : null;
    if (!device) throw new AppException('NOT_FOUND');
    return device;
  }

  async update(
    tenantId: string,
    userId: string,
    id: string,
    input: UpdateDeviceDto,
    ctx: RequestContext,
  ): Promise<Device> {
    const device = await this.findOwn(tenantId, userId, id);
    if (input.name !== undefined) device.name = input.name;
    if (input.trusted !== undefined) device.isTrusted = input.trusted;
    await this.em.flush();
    await this.audit.record(
      {
        type: 'device.updated',
        outcome: 'success',
        tenantId,
        subjectId: userId,
        deviceId: device.id,
        data: { ...input },
      },
      ctx,
    );
    return device;
  }

  /** A deleted account's purge: every device it signed in from. */
  async eraseUser(em: EntityManager, tenantId: string, userId: string): Promise<void> {
    await em.nativeDelete(Device, { tenantId, userId });
  }

  async delete(device: Device, em: EntityManager = this.em): Promise<void> {
    await em.nativeDelete(Device, { id: device.id, tenantId: device.tenantId, userId: device.userId });
  }

  summaryOf(device: Device): DeviceSummaryDto {
    return { id: device.id, name: device.name, platform: device.platform };
  }

  async summariesOf(ids: string[]): Promise<Map<string, DeviceSummaryDto>> {
    if (ids.length === 0) return new Map();
    const devices = await this.em.find(Device, { id: { $in: ids } });
    return new Map(devices.map((device) => [device.id, this.summaryOf(device)]));
  }

  viewOf(device: Device, activeSessions: number): DeviceResponseDto {
    return {
      id: device.id,
      name: device.name,
      platform: device.platform,
      model: device.model,
      userAgent: device.userAgent,
      firstSeenAt: device.firstSeenAt.toISOString(),
      lastSeenAt: device.lastSeenAt.toISOString(),
      lastIp: device.lastIp,
      lastCountry: device.lastCountry,
      lastCity: device.lastCity,
      trusted: device.isTrusted,
      activeSessions,
    };
  }
}
