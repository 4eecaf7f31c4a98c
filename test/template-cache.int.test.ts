import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenToChannel, type ChannelListener } from '@hub/db';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * The adapter caches templates for 10 minutes here, yet a change made through the gateway
 * (or by hand in SQL) shows in the very next SMS: PostgreSQL announces it (trigger +
 * NOTIFY) and the adapter drops its copy. A send only counts the template's use
 * (usage_count, last_used_at): that is no change and must not empty the caches.
 */
/** TEMPLATE_CHANGE_CHANNEL of services/sms-adapter/src/template-store.ts (the package exports only its app). */
const TEMPLATE_CHANGE_CHANNEL = 'hub_template_changed';

let hub: TestHub;
let kit: RulesKit;
let key = '';
let listener: ChannelListener;
/** Every payload received on the channel, in order. */
const heard: string[] = [];
let waiters: { payload: string; resolve: () => void }[] = [];
let sentinels = 0;

beforeAll(async () => {
  hub = await startHub({ templateCacheTtlMs: 600_000 });
  key = await hub.apiKey(['events:write', 'admin:write']);
  kit = rulesKit(hub, () => key);
  await new Promise<void>((resolve, reject) => {
    listener = listenToChannel(hub.databaseUrl, TEMPLATE_CHANGE_CHANNEL, {
      onNotify: (payload) => {
        heard.push(payload);
        waiters = waiters.filter((w) => (w.payload === payload ? (w.resolve(), false) : true));
      },
      onConnected: resolve,
      onError: reject,
    });
  });
});
afterAll(async () => {
  await listener?.stop();
  await hub?.stop();
});

/**
 * The notifications committed so far. PostgreSQL delivers notifications in commit order, so
 * once a sentinel sent now arrives, everything committed before it has arrived too: absence
 * is proven without waiting for a time.
 */
async function heardSoFar(): Promise<string[]> {
  const sentinel = `sentinel-${++sentinels}`;
  const arrived = new Promise<void>((resolve) => waiters.push({ payload: sentinel, resolve }));
  await hub.prisma.$executeRaw`SELECT pg_notify(${TEMPLATE_CHANGE_CHANNEL}, ${sentinel})`;
  await arrived;
  return heard.filter((p) => !p.startsWith('sentinel-'));
}

/** Notifications other than sentinels received since the last call. */
let seen = 0;
async function newNotifications(): Promise<string[]> {
  const all = await heardSoFar();
  const fresh = all.slice(seen);
  seen = all.length;
  return fresh;
}

async function textOf(eventId: string): Promise<string> {
  const d = await kit.finalDelivery(eventId);
  expect(d.status).toBe('delivered');
  const m = await hub.prisma.smsMessage.findFirstOrThrow({ where: { notificationDeliveryId: d.id } });
  return m.messageContent;
}

const usage = async () => (await hub.prisma.smsTemplate.findUniqueOrThrow({ where: { templateKey: 'task_reminder' } })).usageCount;

describe('template cache', () => {
  it('a template changed through the gateway, then by hand, is used by the next SMS despite a long cache TTL', async () => {
    await seedUser(hub.prisma, { externalId: 'tc-user', subscriptions: ['task.reminder'] });
    const reminder = (id: string) => kit.post({ id, type: 'task.reminder', targetUserId: 'tc-user', payload: { task_name: 'Taxes', due_time: 'Friday' } });
    await newNotifications();

    const before = await usage();
    await reminder('tc-1');
    expect(await textOf('tc-1')).toBe('Reminder: Taxes is due Friday.');
    // The send counted the use of the template, and announced nothing.
    expect(await usage()).toBe(before + 1);
    expect(await newNotifications()).toEqual([]);

    const put = await hub.gateway.inject({ method: 'PUT', url: '/v1/templates/task_reminder', headers: { authorization: `Bearer ${key}` }, payload: { text: 'Due {{due_time}}: {{task_name}}' } });
    expect(put.statusCode).toBe(200);
    expect(await newNotifications()).toContain('task_reminder');
    await reminder('tc-2');
    expect(await textOf('tc-2')).toBe('Due Friday: Taxes');
    expect(await newNotifications()).toEqual([]);

    await hub.prisma.$executeRaw`UPDATE sms_templates SET message_template = 'By hand: {{task_name}}' WHERE template_key = 'task_reminder'`;
    expect(await newNotifications()).toEqual(['task_reminder']);
    await reminder('tc-3');
    expect(await textOf('tc-3')).toBe('By hand: Taxes');
    expect(await newNotifications()).toEqual([]);
  });

  it('announces inserts, deletes and changes of the columns the adapter reads; not usage counts, names or descriptions', async () => {
    await newNotifications();
    const k = 'tc_probe';
    await hub.prisma.$executeRaw`INSERT INTO sms_templates (template_key, name, message_template) VALUES (${k}, 'Probe', 'Hello')`;
    expect(await newNotifications()).toEqual([k]);

    await hub.prisma.$executeRaw`UPDATE sms_templates SET usage_count = usage_count + 1, last_used_at = now() WHERE template_key = ${k}`;
    await hub.prisma.$executeRaw`UPDATE sms_templates SET name = 'Probe 2', description = 'no effect on a text', updated_at = now() WHERE template_key = ${k}`;
    // Setting a content column to the value it already has is no change either.
    await hub.prisma.$executeRaw`UPDATE sms_templates SET message_template = 'Hello' WHERE template_key = ${k}`;
    expect(await newNotifications()).toEqual([]);

    for (const change of [
      hub.prisma.$executeRaw`UPDATE sms_templates SET message_template = 'Hi' WHERE template_key = ${k}`,
      hub.prisma.$executeRaw`UPDATE sms_templates SET required_vars = '["name"]'::jsonb WHERE template_key = ${k}`,
      hub.prisma.$executeRaw`UPDATE sms_templates SET max_length = 100 WHERE template_key = ${k}`,
      hub.prisma.$executeRaw`UPDATE sms_templates SET is_active = false WHERE template_key = ${k}`,
    ]) {
      await change;
      expect(await newNotifications()).toEqual([k]);
    }

    await hub.prisma.$executeRaw`UPDATE sms_templates SET template_key = 'tc_probe_renamed' WHERE template_key = ${k}`;
    expect(await newNotifications()).toEqual([k, 'tc_probe_renamed']);
    await hub.prisma.$executeRaw`DELETE FROM sms_templates WHERE template_key = 'tc_probe_renamed'`;
    expect(await newNotifications()).toEqual(['tc_probe_renamed']);
  });
});
