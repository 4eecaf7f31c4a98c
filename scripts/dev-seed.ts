import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@hub/db';
import { createApiKey, verifyApiKey } from '@hub/gateway';

/** A random secret kept in `file` for local runs (created on first use). */
export function devSecret(file: string): string {
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length >= 32) return saved;
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

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

/**
 * A demo recipient on the sandbox's always-valid test number and a verified email address
 * (the email sandbox accepts any), subscribed to common types on sms, email and in-app.
 */
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
  await prisma.userEmailPreferences.upsert({
    where: { userId: user.id },
    update: {},
    create: { userId: user.id, emailAddress: 'demo-user@example.com', emailKey: 'demo-user@example.com', emailVerified: true, emailVerifiedAt: new Date(), verifiedBy: 'admin' },
  });
  for (const eventType of ['task.reminder', 'brief.ready', 'task.urgent']) {
    await prisma.notificationSubscription.upsert({
      where: { userId_eventType: { userId: user.id, eventType } },
      // Demo databases seeded before email existed get the email channel too.
      update: { channels: ['sms', 'email', 'inapp'] },
      create: { userId: user.id, eventType, channels: ['sms', 'email', 'inapp'] },
    });
  }
}
