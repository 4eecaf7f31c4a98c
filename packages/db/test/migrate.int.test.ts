import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createPrisma, dropDatabase, migrate, MigrationError } from '../src/index.ts';

const base = inject('baseDatabaseUrl');
const migrationsDir = path.resolve(import.meta.dirname, '../../../prisma/migrations');
const created: string[] = [];
const urlFor = (name: string) => {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
};
const adminUrl = urlFor('postgres');
const fresh = () => {
  const name = `hub_mig_${Math.random().toString(16).slice(2, 10)}`;
  created.push(name);
  return name;
};

afterAll(async () => {
  for (const name of created) await dropDatabase(adminUrl, name).catch(() => undefined);
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('migration runner (prisma migrate deploy compatible)', () => {
  it('creates the database, applies every migration once and records it like Prisma', async () => {
    const url = urlFor(fresh());
    const first = await migrate({ databaseUrl: url, migrationsDir });
    expect(first.applied.length).toBeGreaterThan(0);
    const tables = (await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    expect(tables).toEqual(expect.arrayContaining(['users', 'user_sms_preferences', 'notification_subscriptions', 'notification_events', 'notification_deliveries', 'sms_messages', 'sms_templates', 'sms_click_tracking', 'scheduled_jobs', 'api_keys', 'phone_verifications', 'sms_opt_out_events', '_prisma_migrations']));
    const history = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(url, 'SELECT * FROM _prisma_migrations');
    const sql = (await import('node:fs')).readFileSync(path.join(migrationsDir, first.applied[0]!, 'migration.sql'), 'utf8');
    expect(history[0]).toMatchObject({ migration_name: first.applied[0], checksum: createHash('sha256').update(sql).digest('hex'), applied_steps_count: 1 });
    expect(history[0]!.finished_at).not.toBeNull();
    const second = await migrate({ databaseUrl: url, migrationsDir });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const templates = await query<{ template_key: string }>(url, 'SELECT template_key FROM sms_templates ORDER BY 1');
    expect(templates.map((t) => t.template_key)).toEqual(['daily_brief_ready', 'task_reminder', 'urgent_task', 'welcome_sms']);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const url = urlFor(fresh());
    const dir = mkdtempSync(path.join(tmpdir(), 'hub-migrations-'));
    try {
      cpSync(migrationsDir, dir, { recursive: true });
      await migrate({ databaseUrl: url, migrationsDir: dir });
      const [name] = (await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations'));
      writeFileSync(path.join(dir, name!.migration_name, 'migration.sql'), '-- edited\n');
      await expect(migrate({ databaseUrl: url, migrationsDir: dir })).rejects.toBeInstanceOf(MigrationError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is safe when two processes migrate a fresh database at once', async () => {
    const url = urlFor(fresh());
    const [a, b] = await Promise.all([migrate({ databaseUrl: url, migrationsDir }), migrate({ databaseUrl: url, migrationsDir })]);
    expect(a.applied.length + b.applied.length).toBe(a.applied.length + a.alreadyApplied.length);
    const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(rows[0]!.n)).toBe(a.applied.length + a.alreadyApplied.length);
  });

  it('enforces one verified owner per phone and reports unique violations as P2002', async () => {
    const url = urlFor(fresh());
    await migrate({ databaseUrl: url, migrationsDir });
    const prisma = createPrisma(url, { poolMax: 2 });
    try {
      const [u1, u2] = await Promise.all([prisma.user.create({ data: { externalId: 'a' } }), prisma.user.create({ data: { externalId: 'b' } })]);
      await prisma.userSmsPreferences.create({ data: { userId: u1.id, phoneNumber: '+14155550100', phoneVerified: true } });
      await prisma.userSmsPreferences.create({ data: { userId: u2.id, phoneNumber: '+14155550100', phoneVerified: false } });
      await expect(prisma.userSmsPreferences.update({ where: { userId: u2.id }, data: { phoneVerified: true } })).rejects.toMatchObject({ code: 'P2002' });
    } finally {
      await prisma.$disconnect();
    }
  });
});
