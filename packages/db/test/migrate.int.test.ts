import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabaseFromTemplate, migrate, MigrationError } from '../src/index.ts';
import { adminUrl, migrationsDir, query, scratchDatabases, urlFor } from './support.ts';

const dbs = scratchDatabases('hub_mig');
afterAll(() => dbs.drop());

const migrationNames = readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const TABLES = [
  '_prisma_migrations', 'admin_audit_events', 'api_keys', 'channel_opt_out_events', 'channel_pauses', 'email_message_events', 'email_messages',
  'email_templates', 'email_verifications', 'inapp_inboxes', 'inapp_items', 'inapp_templates',
  'notification_deliveries', 'notification_events', 'notification_preferences', 'notification_subscriptions',
  'phone_verifications', 'routing_chains', 'routing_policies', 'routing_steps', 'scheduled_jobs', 'sms_click_tracking',
  'sms_message_events', 'sms_messages', 'sms_opt_out_events', 'sms_templates', 'user_email_preferences',
  'user_sms_preferences', 'users',
];

interface HistoryRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

describe('migrate() on a fresh database', () => {
  it('creates the database, applies every migration once and records it as Prisma does', async () => {
    const url = urlFor(dbs.name());
    const logs: string[] = [];
    const first = await migrate({ databaseUrl: url, migrationsDir, log: (m) => logs.push(m) });
    expect(first).toEqual({ applied: migrationNames, alreadyApplied: [] });
    expect(logs[0]).toBe('database created');

    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((t) => t.tablename)).toEqual(TABLES);
    const enums = await query<{ typname: string }>(url, "SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY 1");
    expect(enums.map((e) => e.typname)).toEqual(['delivery_status', 'email_status', 'event_priority', 'job_status', 'sms_status']);

    const history = await query<HistoryRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY started_at');
    expect(history).toHaveLength(migrationNames.length);
    history.forEach((row, i) => {
      const name = migrationNames[i]!;
      expect(row).toMatchObject({ migration_name: name, checksum: sha256(path.join(migrationsDir, name, 'migration.sql')), applied_steps_count: 1, logs: null, rolled_back_at: null });
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
    });

    const second = await migrate({ databaseUrl: url, migrationsDir });
    expect(second).toEqual({ applied: [], alreadyApplied: migrationNames });
    expect(await query(url, 'SELECT id FROM _prisma_migrations')).toHaveLength(migrationNames.length);
  });

  it('creates _prisma_migrations with exactly the columns Prisma creates', async () => {
    const url = urlFor(dbs.name());
    await migrate({ databaseUrl: url, migrationsDir });
    const columns = await query<{ column_name: string; data_type: string; len: number | null; is_nullable: string; column_default: string | null }>(
      url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, is_nullable: 'NO', column_default: '0' },
    ]);
    const pk = await query<{ conname: string }>(url, "SELECT conname FROM pg_constraint WHERE conrelid = '_prisma_migrations'::regclass AND contype = 'p'");
    expect(pk).toEqual([{ conname: '_prisma_migrations_pkey' }]);
  });

  it('seeds the SMS templates: GSM-7 text of at most 160 characters whose variables are all required', async () => {
    const url = urlFor(dbs.name());
    await migrate({ databaseUrl: url, migrationsDir });
    const rows = await query<{ template_key: string; message_template: string; required_vars: string[]; max_length: number; is_active: boolean }>(
      url,
      'SELECT template_key, message_template, required_vars, max_length, is_active FROM sms_templates ORDER BY template_key',
    );
    expect(rows.map((r) => r.template_key)).toEqual(['daily_brief_ready', 'task_reminder', 'urgent_task', 'welcome_sms']);
    const gsm7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà]*$/;
    for (const r of rows) {
      const vars = [...r.message_template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]);
      expect(r.required_vars, r.template_key).toEqual(vars);
      expect(r.message_template.replace(/\{\{[^}]*\}\}/g, 'x'), r.template_key).toMatch(gsm7);
      expect(r.message_template.length, r.template_key).toBeLessThanOrEqual(160);
      expect(r).toMatchObject({ max_length: 160, is_active: true });
    }
  });
});

describe('migrate() refuses a history it cannot trust', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hub-migrations-'));
    cpSync(migrationsDir, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const first = () => path.join(dir, migrationNames[0]!, 'migration.sql');

  it('refuses a migration edited after it was applied, but not one whose line endings changed', async () => {
    const url = urlFor(dbs.name());
    await migrate({ databaseUrl: url, migrationsDir: dir });
    const original = readFileSync(first(), 'utf8');
    writeFileSync(first(), original.replace(/\n/g, '\r\n'));
    await expect(migrate({ databaseUrl: url, migrationsDir: dir })).resolves.toMatchObject({ applied: [] });
    writeFileSync(first(), `${original}\n-- edited\n`);
    const err = await migrate({ databaseUrl: url, migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(String(err)).toMatch(/modified after it was applied/);
  });

  it('records a failed migration, rolls it back, and refuses to go on until it is resolved', async () => {
    const url = urlFor(dbs.name());
    await migrate({ databaseUrl: url, migrationsDir: dir });
    mkdirSync(path.join(dir, '29990101000000_broken'));
    writeFileSync(path.join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" (id INT);\nSELECT no_such_function();\n');
    await expect(migrate({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/29990101000000_broken failed and was rolled back/);
    const [row] = await query<HistoryRow>(url, "SELECT * FROM _prisma_migrations WHERE migration_name = '29990101000000_broken'");
    expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(row!.logs).toMatch(/no_such_function/);
    expect(await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'")).toEqual([]);

    await expect(migrate({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/29990101000000_broken .*failed earlier/);
    // What `prisma migrate resolve --rolled-back 29990101000000_broken` records; then a fixed file applies.
    await query(url, "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '29990101000000_broken'");
    writeFileSync(path.join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" (id INT);\n');
    await expect(migrate({ databaseUrl: url, migrationsDir: dir })).resolves.toMatchObject({ applied: ['29990101000000_broken'] });
  });

  it('refuses a migrations folder locked to another provider', async () => {
    writeFileSync(path.join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');
    await expect(migrate({ databaseUrl: urlFor(dbs.name()), migrationsDir: dir })).rejects.toThrow(/mysql/);
  });
});

describe('migrate() run by several processes at once', () => {
  it('creates and migrates a fresh database once when two runners race', async () => {
    const url = urlFor(dbs.name());
    const results = await Promise.all([1, 2, 3].map(() => migrate({ databaseUrl: url, migrationsDir })));
    expect(results.flatMap((r) => r.applied).sort()).toEqual(migrationNames);
    for (const r of results) expect([...r.applied, ...r.alreadyApplied].sort()).toEqual(migrationNames);
    const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations ORDER BY 1');
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
  });
});

describe('createDatabaseFromTemplate()', () => {
  it('clones a migrated database, history included', async () => {
    const template = dbs.name();
    await migrate({ databaseUrl: urlFor(template), migrationsDir });
    const copy = dbs.name();
    await createDatabaseFromTemplate(adminUrl, copy, template);
    await expect(migrate({ databaseUrl: urlFor(copy), migrationsDir })).resolves.toEqual({ applied: [], alreadyApplied: migrationNames });
  });
});
