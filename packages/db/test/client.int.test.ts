import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseFromTemplate, createPrisma, DeliveryStatus, migrate, Prisma, type PrismaClient } from '../src/index.ts';
import { adminUrl, migrationsDir, query, scratchDatabases, urlFor } from './support.ts';

const dbs = scratchDatabases('hub_client');
let prisma: PrismaClient;

beforeAll(async () => {
  const template = dbs.name();
  await migrate({ databaseUrl: urlFor(template), migrationsDir });
  const name = dbs.name();
  await createDatabaseFromTemplate(adminUrl, name, template);
  prisma = createPrisma(urlFor(name), { poolMax: 3 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await dbs.drop();
});

describe('Prisma client on @prisma/adapter-pg', () => {
  it('inserts and reads a user with its defaults', async () => {
    const created = await prisma.user.create({ data: { externalId: 'client-user-1', smsPreferences: { create: { phoneNumber: '+14155550101' } } } });
    const read = await prisma.user.findUniqueOrThrow({ where: { externalId: 'client-user-1' }, include: { smsPreferences: true } });
    expect(read).toMatchObject({ id: created.id, timezone: 'UTC', locale: 'en-US' });
    expect(read.createdAt).toBeInstanceOf(Date);
    expect(read.smsPreferences).toMatchObject({ phoneNumber: '+14155550101', phoneVerified: false, dailySmsLimit: 10, optedOut: false });
  });

  it('reports a second delivery of one event to one user on one channel as P2002', async () => {
    const user = await prisma.user.create({ data: { externalId: 'client-user-2' } });
    await prisma.notificationEvent.create({ data: { id: 'evt-client-1', eventType: 'task.reminder', payload: { task_name: 'x' } } });
    const delivery = await prisma.notificationDelivery.create({ data: { eventId: 'evt-client-1', userId: user.id, channel: 'sms' } });
    expect(delivery).toMatchObject({ status: DeliveryStatus.pending, attempts: 0 });
    const err = await prisma.notificationDelivery.create({ data: { eventId: 'evt-client-1', userId: user.id, channel: 'sms' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(err).toMatchObject({ code: 'P2002' });
    // Another channel is a different delivery.
    await expect(prisma.notificationDelivery.create({ data: { eventId: 'evt-client-1', userId: user.id, channel: 'email' } })).resolves.toBeTruthy();
  });

  it('lets one phone number have many unverified owners but only one verified owner', async () => {
    const phone = '+14155550102';
    const [a, b, c] = await Promise.all(['v-a', 'v-b', 'v-c'].map((externalId) => prisma.user.create({ data: { externalId } })));
    await prisma.userSmsPreferences.create({ data: { userId: a!.id, phoneNumber: phone, phoneVerified: true } });
    await prisma.userSmsPreferences.create({ data: { userId: b!.id, phoneNumber: phone } });
    await prisma.userSmsPreferences.create({ data: { userId: c!.id, phoneNumber: phone } });
    const err = await prisma.userSmsPreferences.update({ where: { userId: b!.id }, data: { phoneVerified: true } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'P2002' });
    // Ownership can move once the first owner gives the number up.
    await prisma.$transaction([
      prisma.userSmsPreferences.update({ where: { userId: a!.id }, data: { phoneVerified: false } }),
      prisma.userSmsPreferences.update({ where: { userId: b!.id }, data: { phoneVerified: true } }),
    ]);
    expect(await prisma.userSmsPreferences.count({ where: { phoneNumber: phone, phoneVerified: true } })).toBe(1);
  });

  it('runs raw SQL against the same tables', async () => {
    const rows = await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM sms_templates`;
    expect(rows[0]!.n).toBe(4n);
  });
});

describe('createPrisma(url, { schema })', () => {
  it('reads and writes the tables of another PostgreSQL schema, raw SQL included', async () => {
    const name = dbs.name();
    await migrate({ databaseUrl: urlFor(name), migrationsDir });
    await query(urlFor(name), 'CREATE SCHEMA tenant_a');
    // The same migrations, applied inside the schema through the connection's search_path.
    await migrate({ databaseUrl: `${urlFor(name)}?options=${encodeURIComponent('-c search_path=tenant_a')}`, migrationsDir });
    const tenant = createPrisma(urlFor(name), { schema: 'tenant_a', poolMax: 2 });
    try {
      await tenant.user.create({ data: { externalId: 'tenant-user' } });
      const raw = await tenant.$queryRaw<{ external_id: string }[]>`SELECT external_id FROM users`;
      expect(raw).toEqual([{ external_id: 'tenant-user' }]);
      expect(await query(urlFor(name), 'SELECT 1 FROM public.users')).toEqual([]);
      expect(await query(urlFor(name), 'SELECT 1 FROM tenant_a.users')).toHaveLength(1);
    } finally {
      await tenant.$disconnect();
    }
  });
});

