import type { PrismaClient } from '@hub/db';

export interface SeedUser {
  externalId: string;
  phone?: string | null;
  verified?: boolean;
  optedOut?: boolean;
  timezone?: string;
  subscriptions?: string[];
  /** Channels of the subscriptions (default ['sms']). */
  channels?: string[];
  /** An email address (verified unless emailVerified is false); none by default. */
  email?: string | null;
  emailVerified?: boolean;
  prefs?: Partial<{
    taskReminders: boolean;
    dailyBriefSms: boolean;
    urgentAlerts: boolean;
    quietHoursStart: string | null;
    quietHoursEnd: string | null;
    dailySmsLimit: number;
  }>;
}

let emailCounter = Math.floor(Math.random() * 1_000_000);

/** A distinct address per call at a sandbox domain (`tag` may be a magic local part: bounce, complaint…). */
export function uniqueEmail(tag = 'user'): string {
  emailCounter++;
  return `${tag}+${emailCounter}@example.test`;
}

let phoneCounter = Math.floor(Math.random() * 1_000_000);

/** A distinct US number per call (one verified owner per phone is enforced by the schema). */
export function uniquePhone(): string {
  phoneCounter = (phoneCounter + 1) % 9_000_000;
  return `+1415${String(1_000_000 + phoneCounter).padStart(7, '0')}`;
}

/** Creates a recipient with SMS preferences and subscriptions (sms channel). */
export async function seedUser(prisma: PrismaClient, u: SeedUser): Promise<string> {
  const user = await prisma.user.create({ data: { externalId: u.externalId, timezone: u.timezone ?? 'UTC' } });
  await prisma.userSmsPreferences.create({
    data: {
      userId: user.id,
      phoneNumber: u.phone === undefined ? uniquePhone() : u.phone,
      phoneVerified: u.verified ?? true,
      phoneVerifiedAt: (u.verified ?? true) ? new Date() : null,
      optedOut: u.optedOut ?? false,
      ...u.prefs,
    },
  });
  if (u.email) {
    const verified = u.emailVerified ?? true;
    await prisma.userEmailPreferences.create({
      data: { userId: user.id, emailAddress: u.email, emailKey: u.email.toLowerCase(), emailVerified: verified, emailVerifiedAt: verified ? new Date() : null, verifiedBy: verified ? 'admin' : null },
    });
  }
  for (const eventType of u.subscriptions ?? ['task.reminder']) {
    await prisma.notificationSubscription.create({ data: { userId: user.id, eventType, channels: u.channels ?? ['sms'] } });
  }
  return user.id;
}

/**
 * Many verified subscribers at once (one SQL statement per table): for broadcasts.
 * Phones are +1 212 7xx xxxx, distinct per index; `offset` keeps batches apart.
 */
export async function seedSubscribers(prisma: PrismaClient, eventType: string, count: number, tag: string, offset = 0): Promise<void> {
  await prisma.$executeRaw`
    INSERT INTO users (external_id) SELECT ${tag} || '-' || g FROM generate_series(1, ${count}) g`;
  await prisma.$executeRaw`
    INSERT INTO user_sms_preferences (user_id, phone_number, phone_verified, phone_verified_at)
    SELECT u.id, '+1212' || lpad((7000000 + ${offset} + row_number() OVER (ORDER BY u.external_id))::text, 7, '0'), true, now()
      FROM users u WHERE u.external_id LIKE ${tag} || '-%'`;
  await prisma.$executeRaw`
    INSERT INTO notification_subscriptions (user_id, event_type, channels)
    SELECT u.id, ${eventType}, ARRAY['sms'] FROM users u WHERE u.external_id LIKE ${tag} || '-%'`;
}
