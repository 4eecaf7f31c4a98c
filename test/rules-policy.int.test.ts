import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * The SMS policy through the real pipeline (gateway → router → sms-adapter → sandbox →
 * status-ingest), with a ManualClock driving the adapter's policy, the router and the
 * scheduler. Each test sets the clock it needs; clock times are fixed dates in the past.
 */
let hub: TestHub;
let kit: RulesKit;
let key = '';
const clock = new ManualClock(new Date('2026-01-15T17:00:00Z'));

beforeAll(async () => {
  hub = await startHub({ clock, allowedCountries: ['US'] });
  key = await hub.apiKey(['events:write']);
  kit = rulesKit(hub, () => key);
});
afterAll(async () => {
  await hub?.stop();
});

const reminder = { task_name: 'Pay rent', due_time: 'today' };

describe('skips, with the reason recorded and nothing sent', () => {
  it.each([
    ['opted out', 'opted_out', { optedOut: true }],
    ['unverified', 'unverified', { verified: false }],
    ['preference off (task_reminders=false)', 'preference_off', { prefs: { taskReminders: false } }],
    ['destination country not allowed (+44 with allowed US)', 'country_not_allowed', { phone: '+442079460958' }],
  ] as const)('%s → skipped(%s)', async (_name, reason, seed) => {
    clock.set(new Date('2026-01-15T17:00:00Z'));
    const externalId = `skip-${reason}`;
    const userId = await seedUser(hub.prisma, { externalId, ...seed });
    await kit.post({ id: `evt-${externalId}`, type: 'task.reminder', targetUserId: externalId, payload: reminder });
    const d = await kit.finalDelivery(`evt-${externalId}`);
    expect(d.status).toBe('skipped');
    expect(d.skipReason).toBe(reason);
    if (reason === 'country_not_allowed') expect(d.lastError).toBe('GB');
    expect(d.smsMessages).toHaveLength(0);
    expect(kit.sendsTo(await kit.phoneOf(userId))).toHaveLength(0);
  });
});

describe('quiet hours (America/New_York, 22:00–07:00)', () => {
  const quiet = { timezone: 'America/New_York', prefs: { quietHoursStart: '22:00', quietHoursEnd: '07:00' } };

  it('defers a routine message at 23:30 local to 07:00 local, then sends it once when the clock passes the end', async () => {
    clock.set(new Date('2026-01-16T04:30:00Z')); // 23:30 EST on Jan 15
    const userId = await seedUser(hub.prisma, { externalId: 'quiet-routine', ...quiet });
    await seedUser(hub.prisma, { externalId: 'quiet-sentinel' });
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-quiet-1', type: 'task.reminder', targetUserId: 'quiet-routine', payload: reminder });
    // A sentinel scheduled for 06:58 local: once it is delivered, the scheduler has seen a
    // clock past 06:58 (and claims every due job in one query).
    await kit.post({ id: 'evt-quiet-sentinel', type: 'task.reminder', targetUserId: 'quiet-sentinel', payload: reminder, scheduledFor: '2026-01-16T11:58:00Z' });
    const deferred = await kit.deliveryIn('evt-quiet-1', 'deferred');
    expect(deferred.deferredUntil).toEqual(new Date('2026-01-16T12:00:00Z')); // 07:00 EST
    const job = await hub.prisma.scheduledJob.findFirstOrThrow({ where: { refId: deferred.id } });
    expect(job).toMatchObject({ kind: 'quiet_hours', status: 'pending', dueAt: new Date('2026-01-16T12:00:00Z') });
    expect(kit.sendsTo(phone)).toHaveLength(0);

    await waitFor(() => hub.prisma.scheduledJob.findFirst({ where: { refId: 'evt-quiet-sentinel', kind: 'event_due' } }), { what: 'sentinel scheduled' });
    clock.set(new Date('2026-01-16T11:59:00Z')); // 06:59: still quiet, the job is not due
    expect((await kit.finalDelivery('evt-quiet-sentinel')).status).toBe('delivered');
    expect(kit.sendsTo(phone)).toHaveLength(0);
    expect((await hub.prisma.scheduledJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('pending');

    clock.set(new Date('2026-01-16T12:00:30Z')); // 07:00:30 EST
    const delivered = await kit.deliveryIn('evt-quiet-1', 'delivered');
    expect(delivered.smsMessages[0]!.sendStartedAt).toEqual(new Date('2026-01-16T12:00:30Z'));
    expect(kit.sendsTo(phone)).toHaveLength(1);
    expect((await hub.prisma.scheduledJob.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('done');
  });

  it('sends urgent messages at once inside quiet hours (priority urgent, and type task.urgent)', async () => {
    clock.set(new Date('2026-01-16T04:30:00Z'));
    const userId = await seedUser(hub.prisma, { externalId: 'quiet-urgent', ...quiet, subscriptions: ['task.reminder', 'task.urgent'] });
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-urgent-prio', type: 'task.reminder', targetUserId: 'quiet-urgent', priority: 'urgent', payload: reminder });
    await kit.post({ id: 'evt-urgent-type', type: 'task.urgent', targetUserId: 'quiet-urgent', payload: { task_name: 'Server down' } });
    for (const id of ['evt-urgent-prio', 'evt-urgent-type']) {
      const d = await kit.finalDelivery(id);
      expect(d.status).toBe('delivered');
      expect(d.deferredUntil).toBeNull();
    }
    const sends = kit.sendsTo(phone);
    expect(sends).toHaveLength(2);
    expect(sends.map((s) => s.body)).toContain('URGENT: Server down needs your attention now.');
  });
});

describe('daily cap (counted in the local day; urgent bypasses it and counts toward it)', () => {
  it('limit 2: two delivered, the third skipped(daily_limit); an urgent one still goes; the next local day starts afresh', async () => {
    clock.set(new Date('2026-01-15T17:00:00Z')); // 09:00 PST
    const userId = await seedUser(hub.prisma, { externalId: 'capped', timezone: 'America/Los_Angeles', prefs: { dailySmsLimit: 2 } });
    const phone = await kit.phoneOf(userId);
    for (const n of [1, 2, 3]) await kit.post({ id: `evt-cap-${n}`, type: 'task.reminder', targetUserId: 'capped', payload: { task_name: `task ${n}`, due_time: 'today' } });
    const states = await Promise.all([1, 2, 3].map((n) => kit.finalDelivery(`evt-cap-${n}`)));
    expect(states.map((d) => d.status)).toEqual(['delivered', 'delivered', 'skipped']);
    expect(states[2]!.skipReason).toBe('daily_limit');
    expect(kit.sendsTo(phone)).toHaveLength(2);

    await kit.post({ id: 'evt-cap-urgent', type: 'task.reminder', targetUserId: 'capped', priority: 'urgent', payload: reminder });
    expect((await kit.finalDelivery('evt-cap-urgent')).status).toBe('delivered');
    expect(kit.sendsTo(phone)).toHaveLength(3);

    // 23:59 PST is still the same local day (07:59 UTC next day): capped.
    clock.set(new Date('2026-01-16T07:59:00Z'));
    await kit.post({ id: 'evt-cap-late', type: 'task.reminder', targetUserId: 'capped', payload: reminder });
    expect(await kit.finalDelivery('evt-cap-late')).toMatchObject({ status: 'skipped', skipReason: 'daily_limit' });
    // 00:01 PST: a new local day.
    clock.set(new Date('2026-01-16T08:01:00Z'));
    await kit.post({ id: 'evt-cap-next-day', type: 'task.reminder', targetUserId: 'capped', payload: reminder });
    expect((await kit.finalDelivery('evt-cap-next-day')).status).toBe('delivered');
    expect(kit.sendsTo(phone)).toHaveLength(4);
  });

  it('limit 2: an urgent SMS uses up the cap — one routine and one urgent delivered, the next routine one is skipped(daily_limit)', async () => {
    clock.set(new Date('2026-01-15T17:00:00Z')); // 09:00 PST
    const userId = await seedUser(hub.prisma, { externalId: 'capped-urgent', timezone: 'America/Los_Angeles', prefs: { dailySmsLimit: 2 } });
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-capu-routine', type: 'task.reminder', targetUserId: 'capped-urgent', payload: reminder });
    expect((await kit.finalDelivery('evt-capu-routine')).status).toBe('delivered');
    await kit.post({ id: 'evt-capu-urgent', type: 'task.reminder', targetUserId: 'capped-urgent', priority: 'urgent', payload: reminder });
    expect((await kit.finalDelivery('evt-capu-urgent')).status).toBe('delivered');
    // Had the urgent one not counted, this would be the second of two routine messages.
    await kit.post({ id: 'evt-capu-after', type: 'task.reminder', targetUserId: 'capped-urgent', payload: reminder });
    expect(await kit.finalDelivery('evt-capu-after')).toMatchObject({ status: 'skipped', skipReason: 'daily_limit' });
    expect(kit.sendsTo(phone)).toHaveLength(2);
  });
});

describe('invalid stored settings', () => {
  it('an unknown timezone fails the delivery (invalid_timezone) instead of crashing; urgent still goes', async () => {
    clock.set(new Date('2026-01-15T17:00:00Z'));
    const userId = await seedUser(hub.prisma, { externalId: 'bad-tz', timezone: 'Mars/Olympus_Mons', subscriptions: ['task.reminder', 'task.urgent'] });
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-bad-tz', type: 'task.reminder', targetUserId: 'bad-tz', payload: reminder });
    const d = await kit.finalDelivery('evt-bad-tz');
    expect(d).toMatchObject({ status: 'failed', lastErrorCode: 'invalid_timezone' });
    expect(d.lastError).toContain('Mars/Olympus_Mons');
    expect(d.attempts).toBe(0);
    await kit.post({ id: 'evt-bad-tz-urgent', type: 'task.urgent', targetUserId: 'bad-tz', payload: { task_name: 'fire' } });
    expect((await kit.finalDelivery('evt-bad-tz-urgent')).status).toBe('delivered');
    expect(kit.sendsTo(phone)).toHaveLength(1);
  });

  it('a malformed quiet-hours bound fails the delivery (invalid_quiet_hours)', async () => {
    clock.set(new Date('2026-01-15T17:00:00Z'));
    const userId = await seedUser(hub.prisma, { externalId: 'bad-quiet', prefs: { quietHoursStart: '24:00', quietHoursEnd: '07:00' } });
    await kit.post({ id: 'evt-bad-quiet', type: 'task.reminder', targetUserId: 'bad-quiet', payload: reminder });
    expect(await kit.finalDelivery('evt-bad-quiet')).toMatchObject({ status: 'failed', lastErrorCode: 'invalid_quiet_hours' });
    expect(kit.sendsTo(await kit.phoneOf(userId))).toHaveLength(0);
  });
});


describe('a retry resends the first attempt’s text', () => {
  it('same body and short link on both attempts; the template is counted once', async () => {
    clock.set(new Date('2026-01-15T17:00:00Z'));
    const userId = await seedUser(hub.prisma, { externalId: 'retried' });
    const phone = await kit.phoneOf(userId);
    hub.sandbox.setScenario(phone, { outcome: 'undelivered', errorCode: 30003 }); // unreachable: transient
    const usageBefore = (await hub.prisma.smsTemplate.findUniqueOrThrow({ where: { templateKey: 'task_reminder' } })).usageCount;
    await kit.post({ id: 'evt-retry', type: 'task.reminder', targetUserId: 'retried', payload: { task_name: 'read https://example.com/doc', due_time: 'today' } });
    const waiting = await waitFor(async () => {
      const d = await kit.deliveryIn('evt-retry', 'deferred');
      return d.smsMessages[0]?.status === 'scheduled' ? d : null;
    }, { what: 'retry scheduled' });
    expect(waiting.lastErrorCode).toBe('30003');
    hub.sandbox.setScenario(phone, { outcome: 'delivered' });
    clock.set(new Date(waiting.deferredUntil!.getTime() + 1_000));
    const d = await kit.deliveryIn('evt-retry', 'delivered');
    expect(d.smsMessages[0]!.attemptCount).toBe(2);
    const bodies = kit.sendsTo(phone).map((s) => s.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[0]).toMatch(/^Reminder: read http:\/\/127\.0\.0\.1:3000\/l\/[A-Za-z0-9]{10,} is due today\.$/);
    expect(await hub.prisma.smsClickTracking.count({ where: { deliveryId: d.id } })).toBe(1);
    expect((await hub.prisma.smsTemplate.findUniqueOrThrow({ where: { templateKey: 'task_reminder' } })).usageCount).toBe(usageBefore + 1);
  });
});
