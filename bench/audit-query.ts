/**
 * How fast is the admin audit query (GET /api/admin/audit) and the retention prune with a
 * million events? Creates a scratch database from the migrations, inserts 1M events with
 * generate_series (80 % in one tenant, 5 % failures, 20k users, 400 days), then times each
 * filter combination the route allows with the SQL the ORM issues, and prints EXPLAIN ANALYZE.
 *
 *   node bench/ts-register.js bench/audit-query.ts [--rows 1000000] [--keep] [--plans]
 *
 * (bench/ts-register.js: an @swc/core require hook with the same transform as jest.)
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrateUp } from '../src/database/database-admin';

const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const args = process.argv.slice(2);
const ROWS = Number(args[args.indexOf('--rows') + 1]) || 1_000_000;
const KEEP = args.includes('--keep');
const PLANS = args.includes('--plans');
const RUNS = 7;

function urlOf(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

const SELECT = `select "a0".* from "audit_event" as "a0"`;
const ORDER = `order by "a0"."created_at" desc, "a0"."id" desc limit 21`;
const SUBJECT = '00000000-0000-4000-8000-000000000abc';

interface Case {
  name: string;
  where: string;
  params: unknown[];
}

async function main(): Promise<void> {
  const database = `sa_bench_audit_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  console.log(`scratch database ${database}`);
  const db = new Client({ connectionString: urlOf(database) });
  try {
    await migrateUp(urlOf(database));
    await db.connect();
    let started = Date.now();
    await db.query(
      `insert into "audit_event" ("id", "tenant_id", "type", "outcome", "actor_id", "subject_id", "ip", "user_agent", "data", "created_at")
       select gen_random_uuid(),
              case when i % 10 < 8 then 'default' else 'tenant' || (i % 10) end,
              case when r < 0.30 then 'login.succeeded' when r < 0.45 then 'session.refreshed'
                   when r < 0.60 then 'session.created' when r < 0.72 then 'otp.sent'
                   when r < 0.82 then 'otp.verified' when r < 0.90 then 'admin.read'
                   when r < 0.95 then 'login.failed' when r < 0.99 then 'session.revoked'
                   else 'password.changed' end,
              case when i % 20 = 0 then 'failure' else 'success' end,
              s, s, '203.0.113.' || (i % 250), 'Mozilla/5.0 (bench)', '{"bench":true}'::jsonb,
              now() - random() * interval '400 days'
       from (select i, random() as r,
                    ('00000000-0000-4000-8000-' || lpad(to_hex(i % 20000), 12, '0'))::uuid as s
             from generate_series(1, $1::int) as i) as g`,
      [ROWS],
    );
    await db.query('vacuum analyze "audit_event"');
    console.log(`inserted ${ROWS} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const indexes = await db.query<{ indexdef: string }>(
      `select indexdef from pg_indexes where tablename = 'audit_event' order by indexname`,
    );
    for (const { indexdef } of indexes.rows) console.log(`  ${indexdef}`);

    // A cursor from the middle of the tenant's history: page 2+ of a long listing.
    const middle = await db.query<{ created_at: Date; id: string }>(
      `select "created_at", "id" from "audit_event" where "tenant_id" = 'default' order by "created_at" desc, "id" desc offset 50000 limit 1`,
    );
    const cursor = middle.rows[0];
    const keyset = `(("a0"."created_at" < $2) or ("a0"."created_at" = $2 and "a0"."id" < $3))`;
    const dayAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    const cases: Case[] = [
      { name: 'tenant, first page', where: `"a0"."tenant_id" = $1`, params: ['default'] },
      {
        name: 'tenant, page after 50k rows, plain keyset OR (cursor.ts olderThan alone)',
        where: `"a0"."tenant_id" = $1 and ${keyset}`,
        params: ['default', cursor.created_at, cursor.id],
      },
      {
        name: 'tenant, page after 50k rows, keyset + created_at <= bound (what AuditService issues)',
        where: `"a0"."tenant_id" = $1 and "a0"."created_at" <= $2 and ${keyset}`,
        params: ['default', cursor.created_at, cursor.id],
      },
      {
        name: 'type=login.failed',
        where: `"a0"."tenant_id" = $1 and "a0"."type" = $2`,
        params: ['default', 'login.failed'],
      },
      {
        name: 'type=password.changed (rare)',
        where: `"a0"."tenant_id" = $1 and "a0"."type" = $2`,
        params: ['default', 'password.changed'],
      },
      {
        name: 'outcome=failure',
        where: `"a0"."tenant_id" = $1 and "a0"."outcome" = $2`,
        params: ['default', 'failure'],
      },
      {
        name: 'type=password.changed + outcome=failure',
        where: `"a0"."tenant_id" = $1 and "a0"."type" = $2 and "a0"."outcome" = $3`,
        params: ['default', 'password.changed', 'failure'],
      },
      { name: 'userId', where: `"a0"."tenant_id" = $1 and "a0"."subject_id" = $2`, params: ['default', SUBJECT] },
      {
        name: 'userId + type=login.failed',
        where: `"a0"."tenant_id" = $1 and "a0"."subject_id" = $2 and "a0"."type" = $3`,
        params: ['default', SUBJECT, 'login.failed'],
      },
      {
        name: 'from/to (one day, 200 days ago)',
        where: `"a0"."tenant_id" = $1 and "a0"."created_at" >= $2 and "a0"."created_at" < $3`,
        params: ['default', dayAgo(201), dayAgo(200)],
      },
      {
        name: 'from/to + outcome=failure',
        where: `"a0"."tenant_id" = $1 and "a0"."created_at" >= $2 and "a0"."created_at" < $3 and "a0"."outcome" = $4`,
        params: ['default', dayAgo(230), dayAgo(200), 'failure'],
      },
      { name: 'platform admin, every tenant', where: 'true', params: [] },
      {
        name: 'platform admin, page after 50k rows',
        where: `"a0"."created_at" <= $1 and (("a0"."created_at" < $1) or ("a0"."created_at" = $1 and "a0"."id" < $2))`,
        params: [cursor.created_at, cursor.id],
      },
      { name: 'platform admin, type=password.changed', where: `"a0"."type" = $1`, params: ['password.changed'] },
    ];

    console.log(`\n| query (limit 20) | median ms | p max ms | plan |`);
    console.log(`|---|---|---|---|`);
    for (const test of cases) {
      const sql = `${SELECT} where ${test.where} ${ORDER}`;
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const t0 = process.hrtime.bigint();
        await db.query(sql, test.params);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      const plan = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`, test.params);
      const lines = plan.rows.map((row) => row['QUERY PLAN']);
      const access = lines
        .map(
          (line) =>
            /(Index Scan(?: Backward)? using \S+|Index Only Scan\S* using \S+|Bitmap Index Scan on \S+|Seq Scan on \S+)/.exec(
              line,
            )?.[1],
        )
        .filter(Boolean)
        .join(' + ');
      console.log(
        `| ${test.name} | ${times[Math.floor(RUNS / 2)].toFixed(2)} | ${times[RUNS - 1].toFixed(2)} | ${access} |`,
      );
      if (PLANS) console.log(lines.map((line) => `    ${line}`).join('\n'));
    }

    // The retention job: everything older than 365 days (about 1/13 of the rows), in batches.
    const batch = 5000;
    started = Date.now();
    let deleted = 0;
    for (;;) {
      await db.query('begin');
      await db.query(`set local secureauth.audit_prune = 'on'`);
      const result = await db.query(
        `delete from "audit_event" where "id" in (select "id" from "audit_event" where "created_at" < $1 order by "created_at" limit $2)`,
        [dayAgo(365), batch],
      );
      await db.query('commit');
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < batch) break;
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`\nprune: ${deleted} events older than 365 days in ${seconds.toFixed(1)} s (batches of ${batch})`);
  } finally {
    await db.end().catch(() => undefined);
    if (!KEEP) await admin.query(`drop database if exists "${database}" with (force)`);
    else console.log(`kept ${database}`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
