import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';

/**
 * Issue 16, item 2 across instances: two sms-adapter processes in one consumer group, per-user
 * limit 3 per minute, 5 concurrent sends to each of 6 users: exactly 3 per user go out, the
 * rest wait (deferred) — counted from sms_messages, one user's requests on one partition.
 */
let hub: TestHub;
let key = '';
const children: ServiceProcess[] = [];

beforeAll(async () => {
  hub = await startHub({ external: ['sms-adapter'], smsRateLimits: { perMinute: 3, perHour: 100 } });
  key = await hub.apiKey(['events:write']);
  for (const n of ['a', 'b']) children.push(spawnService('sms-adapter', hub.envFor('sms-adapter', { KAFKA_CLIENT_ID: `${hub.prefix}-rl-${n}`, LOG_LEVEL: 'info' })));
  await waitFor(async () => (children.every((c) => c.output().includes('sms-adapter started')) ? true : null), { timeoutMs: 60_000, what: 'two adapters started' });
  await sleep(8_000); // the second member's join and the rebalance settle (session timeout 6 s)
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(children.map((c) => c.kill()));
  await hub?.stop();
});

describe('per-user rate limit with two adapter instances', () => {
  it('sends exactly the limit per user and defers the rest', async () => {
    const users = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => seedUser(hub.prisma, { externalId: `rl-${i}` })));
    const posts = [1, 2, 3, 4, 5, 6].flatMap((u) => [1, 2, 3, 4, 5].map((m) =>
      hub.gateway.inject({ method: 'POST', url: '/v1/sends', headers: { authorization: `Bearer ${key}` }, payload: { idempotencyKey: `rl-${u}-${m}`, userId: `rl-${u}`, text: `m${m}` } })));
    for (const res of await Promise.all(posts)) expect(res.statusCode).toBe(202);
    await waitFor(async () => {
      const n = await hub.prisma.notificationDelivery.groupBy({ by: ['status'], where: { userId: { in: users } }, _count: { _all: true } });
      const by = Object.fromEntries(n.map((g) => [g.status, g._count._all]));
      return (by.deferred ?? 0) === 12 && (by.sent ?? 0) + (by.delivered ?? 0) === 18 ? true : null;
    }, { timeoutMs: 60_000, what: '18 sent, 12 deferred' });
    await sleep(500);
    for (const userId of users) {
      const phone = (await hub.prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId } })).phoneNumber!;
      expect(hub.sandbox.sends({ to: phone })).toHaveLength(3);
    }
    // Both instances are still members (which one handled which user follows the partition
    // assignment; the count is right either way because it is read from sms_messages).
    expect(children.every((c) => c.proc.exitCode === null)).toBe(true);
  }, 120_000);
});
