import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { HEADERS, notificationEventSchema, TOPICS } from '@hub/contracts';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

/** POST /v1/events/:id/cancel: a scheduled event is stopped before it is routed; a routed one loses its unsent deliveries. */
let hub: TestHub;
let producer: Caller;
let admin: Caller;

beforeAll(async () => {
  hub = await startHub();
  producer = caller(hub.gateway, await hub.apiKey(['events:write']));
  admin = caller(hub.gateway, await hub.apiKey(['admin:write']));
});
afterAll(async () => {
  await hub?.stop();
});

const reminder = (id: string, user: string, scheduledFor?: Date) => ({
  id, type: 'task.reminder', targetUserId: user, payload: { task_name: id, due_time: 'soon' }, ...(scheduledFor ? { scheduledFor: scheduledFor.toISOString() } : {}),
});

/** Waits until a control event for the same user, due after `due`, is delivered: by then an uncancelled event due earlier would have been sent too. */
async function settleAfter(user: string, due: Date, id: string) {
  expect((await producer('POST', '/v1/events', reminder(id, user, new Date(due.getTime() + 500)))).status).toBe(202);
  await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: id, status: 'delivered' } })) ?? null, { timeoutMs: 30_000, what: `${id} delivered` });
  await hub.sandbox.drain();
}

describe('POST /v1/events/:id/cancel', () => {
  it('cancels an event scheduled a few seconds ahead: it is never routed nor sent', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'ev-cancel', phone });
    const due = new Date(Date.now() + 4_000);
    expect((await producer('POST', '/v1/events', reminder('ev-cancel-1', 'ev-cancel', due))).status).toBe(202);
    await waitFor(async () => (await hub.prisma.scheduledJob.findFirst({ where: { dedupeKey: 'event:ev-cancel-1', status: 'pending' } })) ?? null, { what: 'event_due job' });

    const res = await producer('POST', '/v1/events/ev-cancel-1/cancel');
    expect(res).toMatchObject({ status: 200, body: { id: 'ev-cancel-1', status: 'cancelled', jobsCancelled: 1, deliveriesCancelled: 0, notCancelled: [] } });
    expect(await hub.prisma.scheduledJob.findUniqueOrThrow({ where: { dedupeKey: 'event:ev-cancel-1' } })).toMatchObject({ status: 'cancelled' });
    const again = await producer('POST', '/v1/events/ev-cancel-1/cancel');
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('already_cancelled');

    await settleAfter('ev-cancel', due, 'ev-cancel-control');
    expect(await hub.prisma.notificationDelivery.count({ where: { eventId: 'ev-cancel-1' } })).toBe(0);
    expect(hub.sandbox.sends({ to: phone }).map((s) => s.body)).toEqual(['Reminder: ev-cancel-control is due soon.']);
    expect((await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: 'ev-cancel-1' } })).routedAt).toBeNull();
  });

  it('cancels a scheduled event the router has not seen yet: its later arrival schedules nothing', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'ev-early', phone });
    const due = new Date(Date.now() + 4_000);
    const event = { ...reminder('ev-early-1', 'ev-early', due), occurredAt: new Date().toISOString() };
    // Stored and published as the gateway does, but the router only gets it after the cancel.
    await hub.prisma.notificationEvent.create({ data: { id: event.id, eventType: event.type, targetUserId: event.targetUserId, payload: event.payload, scheduledFor: due, publishedAt: new Date() } });
    const res = await admin('POST', '/v1/events/ev-early-1/cancel');
    expect(res).toMatchObject({ status: 200, body: { jobsCancelled: 1 } });
    await hub.bus.publish(TOPICS.events, notificationEventSchema, [{ key: event.targetUserId, value: event, headers: { [HEADERS.eventId]: event.id, [HEADERS.correlationId]: event.id } }]);

    // The control event has the same key (same partition): once it is scheduled, the router has handled ours.
    await settleAfter('ev-early', due, 'ev-early-control');
    expect(await hub.prisma.scheduledJob.findMany({ where: { refId: 'ev-early-1' }, select: { status: true } })).toEqual([{ status: 'cancelled' }]);
    expect(await hub.prisma.notificationDelivery.count({ where: { eventId: 'ev-early-1' } })).toBe(0);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
  });

  it('cancels the waiting deliveries of a routed event, and refuses once everything was sent', async () => {
    await seedUser(hub.prisma, { externalId: 'ev-quiet', prefs: { quietHoursStart: '00:00', quietHoursEnd: '23:59' } });
    expect((await producer('POST', '/v1/events', reminder('ev-quiet-1', 'ev-quiet'))).status).toBe(202);
    const d = await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'ev-quiet-1', status: 'deferred' } })) ?? null, { what: 'deferred delivery' });
    const res = await producer('POST', '/v1/events/ev-quiet-1/cancel');
    expect(res).toMatchObject({ status: 200, body: { id: 'ev-quiet-1', status: 'cancelled', jobsCancelled: 0, deliveriesCancelled: 1, notCancelled: [] } });
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: d.id } })).toMatchObject({ status: 'cancelled', skipReason: 'event_cancelled' });
    expect(await hub.prisma.scheduledJob.count({ where: { refId: d.id, status: { not: 'cancelled' } } })).toBe(0);

    await seedUser(hub.prisma, { externalId: 'ev-sent' });
    expect((await producer('POST', '/v1/events', reminder('ev-sent-1', 'ev-sent'))).status).toBe(202);
    const sent = await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'ev-sent-1', status: 'delivered' } })) ?? null, { what: 'delivered' });
    const refused = await producer('POST', '/v1/events/ev-sent-1/cancel');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'already_sent', deliveries: [{ deliveryId: sent.id, status: 'delivered', reason: 'already_final' }] });
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: sent.id } })).toMatchObject({ status: 'delivered' });
  });

  it('answers 404 for an unknown event, 400 for an over-long id, 403 for a read-only key', async () => {
    expect((await admin('POST', '/v1/events/never-seen/cancel')).body.error?.code).toBe('event_not_found');
    expect((await admin('POST', `/v1/events/${'x'.repeat(129)}/cancel`)).status).toBe(400);
    const reader = caller(hub.gateway, await hub.apiKey(['admin:read']));
    const forbidden = await reader('POST', '/v1/events/never-seen/cancel');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error?.code).toBe('insufficient_scope');
  });
});
