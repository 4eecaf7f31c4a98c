import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';

/** Scheduled events: never early, cancellable; the firing delay is reported. */
let hub: TestHub;
let key: string;

beforeAll(async () => {
  hub = await startHub();
  key = await hub.apiKey(['events:write', 'admin:write']);
});
afterAll(async () => {
  await hub?.stop();
});

const post = (payload: Record<string, unknown>) =>
  hub.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload });

describe('scheduler', () => {
  it('fires a scheduled event at its time, never before, and reports the delay', async () => {
    await seedUser(hub.prisma, { externalId: 'sched-lat' });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const due = new Date(Date.now() + 4_000);
      expect((await post({ id: `lat-${i}`, type: 'task.reminder', targetUserId: 'sched-lat', scheduledFor: due.toISOString(), payload: { task_name: 'x', due_time: 'y' } })).statusCode).toBe(202);
      const job = await waitFor(async () => {
        const j = await hub.prisma.scheduledJob.findFirst({ where: { refId: `lat-${i}`, status: 'done' } });
        return j ?? null;
      }, { timeoutMs: 20_000, what: `job lat-${i} done` });
      expect(job.completedAt!.getTime()).toBeGreaterThanOrEqual(job.dueAt.getTime());
      delays.push(job.completedAt!.getTime() - job.dueAt.getTime());
      await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: `lat-${i}`, status: 'delivered' } })) ?? null, { what: `lat-${i} delivered` });
    }
    delays.sort((a, b) => a - b);
    console.log(`[scheduler] due → published delay over ${delays.length} jobs: min ${delays[0]} ms, median ${delays[2]} ms, max ${delays[4]} ms (poll 100 ms)`);
  });

  it('publishes an event the gateway stored but never published (it died in between), once', async () => {
    await seedUser(hub.prisma, { externalId: 'stranded-user' });
    // What a gateway leaves behind when it dies after storing the event and before publishing it.
    await hub.prisma.notificationEvent.create({
      data: { id: 'stranded-1', eventType: 'task.reminder', targetUserId: 'stranded-user', payload: { task_name: 'left behind', due_time: 'now' }, occurredAt: new Date(), createdAt: new Date(Date.now() - 120_000) },
    });
    const d = await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'stranded-1', status: 'delivered' } })) ?? null, { timeoutMs: 30_000, what: 'stranded event delivered' });
    expect((await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: 'stranded-1' } })).publishedAt).not.toBeNull();
    await hub.sandbox.drain();
    expect(hub.sandbox.sends().filter((s) => s.messageId === d.id || s.body.includes('left behind'))).toHaveLength(1);
  });

  it('marks a stranded event Kafka refuses as too large (publish_error) and still publishes the others beside it', async () => {
    await seedUser(hub.prisma, { externalId: 'stranded-big-user' });
    const old = new Date(Date.now() - 120_000);
    // 1.2 MB of payload: over the broker's 1 MiB message limit (stored by hand, past the gateway's bound).
    await hub.prisma.notificationEvent.create({ data: { id: 'stranded-big', eventType: 'task.reminder', targetUserId: 'stranded-big-user', payload: { blob: 'x'.repeat(1_200_000) }, occurredAt: old, createdAt: old } });
    await hub.prisma.notificationEvent.create({ data: { id: 'stranded-small', eventType: 'task.reminder', targetUserId: 'stranded-big-user', payload: { task_name: 'beside a big one', due_time: 'now' }, occurredAt: old, createdAt: new Date(old.getTime() + 1) } });
    await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'stranded-small', status: 'delivered' } })) ?? null, { timeoutMs: 30_000, what: 'the small stranded event delivered' });
    const big = await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: 'stranded-big' } });
    expect(big.publishedAt).toBeNull();
    expect(big.publishError).toMatch(/too large|MESSAGE_TOO_LARGE|larger/i);
    expect(await hub.prisma.notificationDelivery.count({ where: { eventId: 'stranded-big' } })).toBe(0);
  });

  it('cancels a scheduled delivery through the gateway before it is sent', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'sched-cancel' });
    // A user in quiet hours: the delivery waits in the scheduler, then is cancelled by an admin.
    await hub.prisma.userSmsPreferences.updateMany({
      where: { user: { externalId: 'sched-cancel' } },
      data: { quietHoursStart: '00:00', quietHoursEnd: '23:59', timezone: 'UTC' },
    });
    expect((await post({ id: 'cancel-1', type: 'task.reminder', targetUserId: 'sched-cancel', payload: { task_name: 'cancel-1', due_time: 'y' } })).statusCode).toBe(202);
    const deferred = await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'cancel-1', status: 'deferred' } })) ?? null, { what: 'delivery deferred' });
    const res = await hub.gateway.inject({ method: 'POST', url: `/v1/deliveries/${deferred.id}/cancel`, headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    const after = await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: deferred.id } });
    expect(after.status).toBe('cancelled');
    const jobs = await hub.prisma.scheduledJob.findMany({ where: { refId: deferred.id } });
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.status === 'cancelled')).toBe(true);
    const again = await hub.gateway.inject({ method: 'POST', url: `/v1/deliveries/${deferred.id}/cancel`, headers: { authorization: `Bearer ${key}` } });
    expect(again.statusCode).toBe(409);

    // The worst case: the scheduler had claimed the job just before the cancel and releases it
    // anyway, now, with quiet hours over. The adapter must still not send a cancelled delivery.
    await hub.prisma.userSmsPreferences.updateMany({ where: { userId }, data: { quietHoursStart: null, quietHoursEnd: null } });
    await hub.prisma.scheduledJob.updateMany({ where: { refId: deferred.id }, data: { status: 'pending', dueAt: new Date() } });
    await waitFor(async () => (await hub.prisma.scheduledJob.count({ where: { refId: deferred.id, status: { not: 'done' } } })) === 0, { what: 'replayed job released' });
    // A later delivery to the same user (same partition) is handled after the replayed request.
    expect((await post({ id: 'cancel-control', type: 'task.reminder', targetUserId: 'sched-cancel', payload: { task_name: 'cancel-control', due_time: 'y' } })).statusCode).toBe(202);
    await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'cancel-control', status: 'delivered' } })) ?? null, { what: 'control delivered' });
    await hub.sandbox.drain();
    expect(hub.sandbox.sends().filter((s) => s.body.includes('cancel-control'))).toHaveLength(1);
    expect(hub.sandbox.sends().filter((s) => s.body.includes('cancel-1'))).toHaveLength(0);
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: deferred.id } })).toMatchObject({ status: 'cancelled' });
  });
});
