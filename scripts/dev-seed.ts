import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@hub/db';
import { createApiKey, verifyApiKey } from '@hub/gateway';

/** Reuses the local development API key while it is valid; creates one otherwise. */
export async function ensureDevApiKey(prisma: PrismaClient, file: string): Promise<string> {
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if ((await verifyApiKey(prisma, key)).ok) return key;
  }
  const created = await createApiKey(prisma, 'local development', ['events:write', 'admin:write']);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${created.key}\n`, { mode: 0o600 });
  return created.key;
}

/** A demo recipient on the sandbox's always-valid test number, subscribed to common types. */
export async function seedDemo(prisma: PrismaClient): Promise<void> {
  const user = await prisma.user.upsert({
    where: { externalId: 'demo-user' },
    update: {},
    create: { externalId: 'demo-user', timezone: 'UTC' },
  });
  await prisma.userSmsPreferences.upsert({
    where: { userId: user.id },
    update: {},
    create: { userId: user.id, phoneNumber: '+15005550006', phoneVerified: true, phoneVerifiedAt: new Date() },
  });
  for (const eventType of ['task.reminder', 'brief.ready', 'task.urgent']) {
    await prisma.notificationSubscription.upsert({
      where: { userId_eventType: { userId: user.id, eventType } },
      update: {},
      create: { userId: user.id, eventType, channels: ['sms'] },
    });
  }
}
