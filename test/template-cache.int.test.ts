import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * The adapter caches templates for 10 minutes here, yet a change made through the gateway
 * (or by hand in SQL) shows in the very next SMS: PostgreSQL announces it (trigger +
 * NOTIFY) and the adapter drops its copy.
 */
let hub: TestHub;
let kit: RulesKit;
let key = '';

beforeAll(async () => {
  hub = await startHub({ templateCacheTtlMs: 600_000 });
  key = await hub.apiKey(['events:write', 'admin:write']);
  kit = rulesKit(hub, () => key);
});
afterAll(async () => {
  await hub?.stop();
});

async function textOf(eventId: string): Promise<string> {
  const d = await kit.finalDelivery(eventId);
  expect(d.status).toBe('delivered');
  const m = await hub.prisma.smsMessage.findFirstOrThrow({ where: { notificationDeliveryId: d.id } });
  return m.messageContent;
}

describe('template cache', () => {
  it('a template changed through the gateway, then by hand, is used by the next SMS despite a long cache TTL', async () => {
    await seedUser(hub.prisma, { externalId: 'tc-user', subscriptions: ['task.reminder'] });
    const reminder = (id: string) => kit.post({ id, type: 'task.reminder', targetUserId: 'tc-user', payload: { task_name: 'Taxes', due_time: 'Friday' } });

    await reminder('tc-1');
    expect(await textOf('tc-1')).toBe('Reminder: Taxes is due Friday.');

    const put = await hub.gateway.inject({ method: 'PUT', url: '/v1/templates/task_reminder', headers: { authorization: `Bearer ${key}` }, payload: { text: 'Due {{due_time}}: {{task_name}}' } });
    expect(put.statusCode).toBe(200);
    await reminder('tc-2');
    expect(await textOf('tc-2')).toBe('Due Friday: Taxes');

    await hub.prisma.$executeRaw`UPDATE sms_templates SET message_template = 'By hand: {{task_name}}' WHERE template_key = 'task_reminder'`;
    await reminder('tc-3');
    expect(await textOf('tc-3')).toBe('By hand: Taxes');
  });
});
