import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';
import { postReminder, sendCounts } from './support/events.ts';

let hub: TestHub;
let apiKey: string;
const children: ServiceProcess[] = [];

beforeAll(async () => {
  hub = await startHub({ external: ['sms-adapter'] });
  apiKey = await hub.apiKey(['events:write']);
  children.push(spawnService('sms-adapter', hub.envFor('sms-adapter')));
});
afterAll(async () => {
  await Promise.allSettled(children.map((c) => c.kill()));
  await hub?.stop();
});

const post = (id: string, target: string) => postReminder(hub, apiKey, id, target);

async function finalOf(eventId: string) {
  return waitFor(async () => {
    const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId }, include: { smsMessages: { include: { events: true } } } });
    return d && ['delivered', 'failed'].includes(d.status) ? d : null;
  }, { timeoutMs: 30_000, what: `${eventId} final` });
}

describe('callbacks late, twice and out of order', () => {
  it('duplicated and reordered callbacks leave the same final state as the clean sequence', async () => {
    const clean = uniquePhone();
    const messy = uniquePhone();
    const failing = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'cb-clean', phone: clean });
    await seedUser(hub.prisma, { externalId: 'cb-messy', phone: messy });
    await seedUser(hub.prisma, { externalId: 'cb-fail', phone: failing });
    hub.sandbox.setScenario(messy, { duplicate: true, outOfOrder: true });
    hub.sandbox.setScenario(failing, { outcome: 'undelivered', errorCode: 30005, duplicate: true, outOfOrder: true });
    await post('cb-clean-1', 'cb-clean');
    await post('cb-messy-1', 'cb-messy');
    await post('cb-fail-1', 'cb-fail');
    const a = await finalOf('cb-clean-1');
    const b = await finalOf('cb-messy-1');
    const c = await finalOf('cb-fail-1');
    await hub.sandbox.drain();
    // Let every duplicate be applied, then compare: 6 callbacks (each status twice) leave one
    // history row per status (replays are recorded once).
    await waitFor(async () => (await hub.prisma.smsMessageEvent.count({ where: { smsMessageId: b.smsMessages[0]!.id, source: 'callback' } })) === 3, { what: 'the 3 distinct messy callbacks recorded' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await hub.prisma.smsMessageEvent.count({ where: { smsMessageId: b.smsMessages[0]!.id, source: 'callback' } })).toBe(3);
    const [ra, rb, rc] = await Promise.all([a, b, c].map((d) => hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: d.id }, include: { smsMessages: true } })));
    expect(ra!.status).toBe('delivered');
    expect(rb!.status).toBe(ra!.status);
    expect(rb!.smsMessages[0]!.status).toBe(ra!.smsMessages[0]!.status);
    expect(rb!.deliveredAt).not.toBeNull();
    const applied = await hub.prisma.smsMessageEvent.findMany({ where: { smsMessageId: b.smsMessages[0]!.id, source: 'callback' } });
    expect(applied.filter((e) => e.applied).map((e) => e.status)).toEqual(['delivered']);
    // 30005 (unknown destination) is permanent: failed once, no retry, the duplicates change nothing.
    expect(rc!.status).toBe('failed');
    expect(rc!.lastErrorCode).toBe('30005');
    expect(rc!.smsMessages[0]!.status).toBe('undelivered');
    expect(hub.sandbox.sends().filter((s) => s.to === failing)).toHaveLength(1);
  });
});

describe('two sms-adapter instances and a rebalance mid-stream', () => {
  it('sends every delivery exactly once and leaves nothing stuck', async () => {
    const n = 60;
    for (let i = 0; i < n; i++) await seedUser(hub.prisma, { externalId: `rb-${i}` });
    for (let i = 0; i < n; i++) {
      if (i === 15) children.push(spawnService('sms-adapter', hub.envFor('sms-adapter', { KAFKA_CLIENT_ID: `${hub.prefix}-second` })));
      if (i === 40) await children[0]!.stop(); // the first instance leaves: another rebalance
      await post(`rb-e${i}`, `rb-${i}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const rows = await waitFor(async () => {
      const list = await hub.prisma.notificationDelivery.findMany({ where: { eventId: { startsWith: 'rb-e' } }, include: { smsMessages: true } });
      return list.length === n && list.every((d) => d.status === 'delivered') ? list : null;
    }, { timeoutMs: 60_000, what: `${n} deliveries delivered across the rebalance` });
    await hub.sandbox.drain();
    const counts = sendCounts(hub);
    for (const d of rows) expect(counts.get(d.smsMessages[0]!.id)).toBe(1);
  }, 120_000);
});

describe('the provider sent it but its answer was lost', () => {
  it('is reconciled through the callback, not sent again', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'lost-cb', phone });
    hub.sandbox.setFaults({ resetAfterNext: 1 });
    await post('lost-cb-1', 'lost-cb');
    const d = await finalOf('lost-cb-1');
    expect(d.status).toBe('delivered');
    await hub.sandbox.drain();
    expect(hub.sandbox.sends().filter((s) => s.to === phone)).toHaveLength(1);
    expect(d.smsMessages).toHaveLength(1);
    expect(d.smsMessages[0]!.twilioSid).toMatch(/^SM/);
  });

  it('is found by a provider lookup when its callbacks are lost too, not sent again', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'lost-lookup', phone });
    hub.sandbox.setScenario(phone, { dropCallbacks: true });
    hub.sandbox.setFaults({ resetAfterNext: 1 });
    await post('lost-lookup-1', 'lost-lookup');
    // No answer and no callback: after SMS_RECONCILE_AFTER_MS the adapter looks the send up,
    // records its sid, and the stale-message reconciler fetches its final status.
    const d = await finalOf('lost-lookup-1');
    expect(d.status).toBe('delivered');
    expect(hub.sandbox.sends().filter((s) => s.to === phone)).toHaveLength(1);
    const sources = d.smsMessages[0]!.events.map((e) => e.source);
    expect(sources).toContain('lookup');
    expect(sources).not.toContain('callback');
  });
});

describe('the provider created the message but answered 5xx', () => {
  it('a 502 after the message was created is reconciled (callback), not resent: delivered, one send', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'bad-gateway', phone });
    hub.sandbox.failAfterNext(1, 502);
    await post('bad-gateway-1', 'bad-gateway');
    const d = await finalOf('bad-gateway-1');
    expect(d.status).toBe('delivered');
    await hub.sandbox.drain();
    // The adapter's one call was answered 502 although the sandbox created the message.
    expect(hub.sandbox.requests({ creates: true, to: phone }).map((r) => r.status)).toEqual([502]);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
    expect(d.smsMessages).toHaveLength(1);
    expect(d.smsMessages[0]!.twilioSid).toBe(hub.sandbox.sends({ to: phone })[0]!.sid);
    expect(d.smsMessages[0]!.attemptCount).toBe(1);
  });

  it('a 502 whose callbacks are lost too is found by the provider lookup while still queued, not resent', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'bad-gateway-q', phone });
    // No callbacks, and the message stays queued (no date_sent) for a long while: only a
    // lookup that does not filter on DateSent can find it.
    hub.sandbox.setScenario(phone, { dropCallbacks: true, delayMs: 8_000 });
    hub.sandbox.failAfterNext(1, 502);
    await post('bad-gateway-q-1', 'bad-gateway-q');
    const found = await waitFor(async () => {
      const m = await hub.prisma.smsMessage.findFirst({ where: { phoneNumber: phone, twilioSid: { not: null } } });
      return m ?? null;
    }, { timeoutMs: 30_000, what: 'the queued message found by the lookup' });
    expect(hub.sandbox.message(found.twilioSid!)?.status).toBe('queued');
    const d = await finalOf('bad-gateway-q-1');
    expect(d.status).toBe('delivered');
    expect(hub.sandbox.requests({ creates: true, to: phone }).map((r) => r.status)).toEqual([502]);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
  });
});

describe('a send of unknown outcome whose reconciliation meets faults of its own', () => {
  const lookups = () => hub.sandbox.requests().filter((r) => r.method === 'GET' && r.path.endsWith('/Messages.json'));

  it('a lookup that fails is asked again later; the send is found, not resent', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'lookup-fails', phone });
    hub.sandbox.setScenario(phone, { dropCallbacks: true });
    hub.sandbox.setFaults({ resetAfterNext: 1 });
    const before = lookups().length;
    await post('lookup-fails-1', 'lookup-fails');
    await waitFor(async () => hub.sandbox.requests({ creates: true, to: phone }).length === 1, { what: 'the create whose answer is lost' });
    // The adapter's first lookup (SMS_RECONCILE_AFTER_MS later) is answered 500.
    hub.sandbox.failNext(1, 500, { method: 'GET', pathEndsWith: '/Messages.json' });
    const d = await finalOf('lookup-fails-1');
    expect(d.status).toBe('delivered');
    expect(lookups().slice(before).map((r) => r.status)).toEqual([500, 200]);
    expect(hub.sandbox.requests({ creates: true, to: phone })).toHaveLength(1);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
    expect(d.smsMessages[0]!.events.map((e) => e.source)).toContain('lookup');
  });

  it('a resend whose outcome is unknown again is reconciled again: delivered, one message at the provider', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'unknown-twice', phone });
    hub.sandbox.setScenario(phone, { dropCallbacks: true });
    // First send: answered 500 before the sandbox handles it (nothing created; to the adapter
    // a 500 is an unknown outcome).
    hub.sandbox.failNext(1, 500, { method: 'POST' });
    await post('unknown-twice-1', 'unknown-twice');
    await waitFor(async () => hub.sandbox.requests({ creates: true, to: phone }).length === 1, { what: 'the first create, refused' });
    // The lookup finds nothing, so the adapter sends again: created, but answered 502.
    hub.sandbox.failAfterNext(1, 502, { method: 'POST' });
    const d = await finalOf('unknown-twice-1');
    expect(d.status).toBe('delivered');
    expect(hub.sandbox.requests({ creates: true, to: phone }).map((r) => r.status)).toEqual([500, 502]);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
    expect(d.smsMessages).toHaveLength(1);
    expect(d.smsMessages[0]!.twilioSid).toBe(hub.sandbox.sends({ to: phone })[0]!.sid);
  });
});
