import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedSubscribers } from './support/seed.ts';

/**
 * A broadcast to 10,000 subscribers (the size; BROADCAST_SIZE changes it): every
 * delivery ends final with one provider send each. The time is reported, not asserted (all
 * five services share this test's event loop: ~60 s on an idle 2-core machine).
 */
let hub: TestHub;

beforeAll(async () => {
  hub = await startHub({ ratePerSecond: 5_000, partitions: 4 });
});
afterAll(async () => {
  await hub?.stop();
});

describe('broadcast', () => {
  it('fans one event out to every subscriber (BROADCAST_SIZE, default 10,000) and finishes every delivery', async () => {
    const n = Number(process.env.BROADCAST_SIZE ?? 10_000);
    await seedSubscribers(hub.prisma, 'digest.weekly', n, 'bc');
    const key = await hub.apiKey(['events:write']);
    const started = Date.now();
    const res = await hub.gateway.inject({
      method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` },
      payload: { id: 'broadcast-10k', type: 'digest.weekly', payload: { title: 'Weekly digest', body: 'Your week in review' } },
    });
    expect(res.statusCode).toBe(202);
    const rowsWritten = await waitFor(async () => ((await hub.prisma.notificationDelivery.count({ where: { eventId: 'broadcast-10k' } })) === n ? Date.now() : null), { timeoutMs: 120_000, intervalMs: 250, what: 'all delivery rows written' });
    await waitFor(async () => {
      const open = await hub.prisma.notificationDelivery.count({ where: { eventId: 'broadcast-10k', status: { notIn: ['delivered', 'failed', 'skipped', 'cancelled'] } } });
      return open === 0;
    }, { timeoutMs: 540_000, intervalMs: 1_000, what: 'every broadcast delivery final' });
    const finished = Date.now();
    const delivered = await hub.prisma.notificationDelivery.count({ where: { eventId: 'broadcast-10k', status: 'delivered' } });
    expect(delivered).toBe(n);
    await hub.sandbox.drain();
    expect(new Set(hub.sandbox.sends().map((s) => s.messageId)).size).toBe(n);
    expect(hub.sandbox.sends()).toHaveLength(n);
    console.log(`[broadcast] ${n} subscribers: rows written in ${((rowsWritten - started) / 1000).toFixed(1)} s, all final in ${((finished - started) / 1000).toFixed(1)} s (${(n / ((finished - started) / 1000)).toFixed(0)} deliveries/s)`);
  }, 600_000);
});
