import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { Bus } from '@hub/bus';
import { HEADERS, systemClock, TOPICS } from '@hub/contracts';
import { createMetricsRegistry } from '@hub/runtime';
import { waitFor } from '@hub/testkit';
import { buildGateway } from '@hub/gateway';
import { acceptEvents } from '../services/gateway/src/routes/events.ts';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

/**
 * Races and poison at the gateway (issue 11): concurrent posts of one event id, batches that
 * mix good and bad events or meet a Kafka outage, concurrent creation of one user, HEAD on a
 * short link, and impossible phone numbers. Real PostgreSQL and Kafka; what was published is
 * read back from the topic.
 */

let hub: TestHub;
let post: Caller;
let admin: Caller;
/** A gateway whose Kafka is unreachable (no broker configured: every publish fails at once). */
let cutOff: FastifyInstance;
let cutOffPost: Caller;

beforeAll(async () => {
  hub = await startHub();
  post = caller(hub.gateway, await hub.apiKey(['events:write']));
  admin = caller(hub.gateway, await hub.apiKey(['admin:write']));
  const deadBus = new Bus({ clientId: `${hub.prefix}-dead`, brokers: [], topicPrefix: hub.prefix, logger: hub.log });
  cutOff = await buildGateway({
    prisma: hub.prisma, bus: deadBus, log: hub.log, clock: systemClock, metrics: createMetricsRegistry('gateway'),
    publicBaseUrl: 'http://127.0.0.1:3000', provider: hub.provider, allowedCountries: ['US'],
  });
  cutOffPost = caller(cutOff, await hub.apiKey(['events:write']));
});
afterAll(async () => {
  await cutOff?.close();
  await hub?.stop();
});

/** Every message on notify.events.v1 so far (up to the current end of each partition), by event id header. */
async function publishedEvents(): Promise<Map<string, number>> {
  const topic = hub.bus.topic(TOPICS.events);
  const admin = hub.bus.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const counts = new Map<string, number>();
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  if (remaining.size === 0) return counts;
  const kafka = new kafkajs.Kafka({ clientId: `${hub.prefix}-reader`, brokers: hub.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${hub.prefix}-reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const id = message.headers?.[HEADERS.eventId]?.toString() ?? '?';
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (Number(message.offset) + 1 >= ends.get(partition)!) remaining.delete(partition);
    },
  });
  await waitFor(async () => remaining.size === 0, { timeoutMs: 30_000, what: 'the events topic read to its end' });
  await consumer.disconnect();
  return counts;
}

const reminder = (id: string, targetUserId: string) => ({ id, type: 'task.reminder', targetUserId, payload: { task_name: id, due_time: 'soon' } });

describe('idempotent accept under concurrency', () => {
  it('100 concurrent posts of one event id: one accepted, 99 duplicates, no 5xx, one message on Kafka, one SMS', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'race-user' });
    const event = reminder('race-1', 'race-user');
    const answers = await Promise.all(Array.from({ length: 100 }, () => post('POST', '/v1/events', event)));

    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const statuses = answers.map((a) => a.body.status);
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(99);
    expect(new Set(answers.map((a) => a.body.acceptedAt)).size).toBe(1);
    expect(answers.filter((a) => a.body.status === 'duplicate').every((a) => a.headers['idempotent-replayed'] === 'true')).toBe(true);

    expect((await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: 'race-1' } })).publishedAt).not.toBeNull();
    expect((await publishedEvents()).get('race-1')).toBe(1);
    await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'race-1', userId, status: 'delivered' } })) ?? null, { timeoutMs: 30_000, what: 'race-1 delivered' });
    await hub.sandbox.drain();
    expect(hub.sandbox.sends().filter((s) => s.body.includes('race-1'))).toHaveLength(1);
  });

  it('concurrent overlapping batches: every event accepted once and published once', async () => {
    const events = Array.from({ length: 6 }, (_, i) => reminder(`race-b-${i}`, `race-b-user-${i % 2}`));
    // 20 batches, each a different rotation of the same six events (locks taken in other orders).
    const batches = Array.from({ length: 20 }, (_, k) => ({ events: [...events.slice(k % 6), ...events.slice(0, k % 6)] }));
    const answers = await Promise.all(batches.map((b) => post('POST', '/v1/events/batch', b)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const results = answers.flatMap((a) => a.body.results as { id: string; status: string }[]);
    for (const e of events) {
      const mine = results.filter((r) => r.id === e.id).map((r) => r.status);
      expect(mine.filter((s) => s === 'accepted'), e.id).toHaveLength(1);
      expect(mine.filter((s) => s === 'duplicate'), e.id).toHaveLength(19);
    }
    const published = await publishedEvents();
    for (const e of events) expect(published.get(e.id), e.id).toBe(1);
  });

  it('a single post and a batch racing for one id publish it once', async () => {
    const event = reminder('race-mixed', 'race-mixed-user');
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => post('POST', '/v1/events', event).then((a) => a.body.status as string)),
      ...Array.from({ length: 10 }, () => post('POST', '/v1/events/batch', { events: [event] }).then((a) => (a.body.results as { status: string }[])[0]!.status)),
    ]);
    expect(answers.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(answers.filter((s) => s === 'duplicate')).toHaveLength(19);
    expect((await publishedEvents()).get('race-mixed')).toBe(1);
  });
});

describe('batches: each event on its own', () => {
  it('accepts the valid event and rejects the invalid one, with a result each; only the valid one is stored and published', async () => {
    const good = reminder('batch-good-1', 'batch-user');
    const res = await post('POST', '/v1/events/batch', { events: [good, { id: 'batch-bad-1', type: 'Not A Type!', payload: {} }, { type: 'task.reminder' }] });
    expect(res.status).toBe(202);
    const results = res.body.results as { id: string | null; status: string; error?: { code: string; fields?: { field: string }[] } }[];
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual({ id: 'batch-good-1', status: 'accepted' });
    expect(results[1]).toMatchObject({ id: 'batch-bad-1', status: 'rejected', error: { code: 'validation_failed', fields: [expect.objectContaining({ field: 'body.events.1.type' })] } });
    expect(results[2]).toMatchObject({ id: null, status: 'rejected', error: { code: 'validation_failed' } });
    expect(await hub.prisma.notificationEvent.count({ where: { id: { startsWith: 'batch-bad' } } })).toBe(0);
    const published = await publishedEvents();
    expect(published.get('batch-good-1')).toBe(1);
    expect(published.has('batch-bad-1')).toBe(false);
  });

  it('a repost of an event the outbox marked unpublishable (Kafka refused it) is a 400, never a 503', async () => {
    await hub.prisma.notificationEvent.create({ data: { id: 'marked-1', eventType: 'task.reminder', targetUserId: 'batch-user', payload: { task_name: 'marked-1', due_time: 'soon' }, publishError: 'KafkaJSProtocolError: message too large' } });
    const res = await post('POST', '/v1/events', reminder('marked-1', 'batch-user'));
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('event_unstorable');
    expect((await publishedEvents()).get('marked-1')).toBeUndefined();
  });

  it('an event PostgreSQL cannot store is rejected alone (acceptEvents, below the HTTP input guard)', async () => {
    const outcomes = await acceptEvents({ prisma: hub.prisma, bus: hub.bus, clock: systemClock }, [
      reminder('batch-good-2', 'batch-user'),
      { ...reminder('batch-nul-2', 'batch-user'), payload: { task_name: 'a\u0000b' } },
      reminder('batch-good-3', 'batch-user'),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'unstorable', 'accepted']);
    expect(await hub.prisma.notificationEvent.count({ where: { id: 'batch-nul-2' } })).toBe(0);
    const published = await publishedEvents();
    expect([published.get('batch-good-2'), published.get('batch-good-3'), published.get('batch-nul-2')]).toEqual([1, 1, undefined]);
  });

  it('a Kafka outage is a 503 for the whole batch; what was stored is published once by a repost, or by the stranded-event sweep', async () => {
    const events = [reminder('outage-1', 'outage-user'), reminder('outage-2', 'outage-user')];
    const res = await cutOffPost('POST', '/v1/events/batch', { events });
    expect(res.status).toBe(503);
    expect(res.body.error?.code).toBe('unavailable');
    const stored = await hub.prisma.notificationEvent.findMany({ where: { id: { startsWith: 'outage-' } }, orderBy: { id: 'asc' } });
    expect(stored.map((e) => [e.id, e.publishedAt])).toEqual([['outage-1', null], ['outage-2', null]]);

    // The client retries outage-1 once Kafka is back: published now, answered once.
    const retry = await post('POST', '/v1/events', events[0]);
    expect(retry).toMatchObject({ status: 202, body: { status: 'accepted' } });
    expect((await post('POST', '/v1/events', events[0])).body.status).toBe('duplicate');
    // Nobody retries outage-2: the scheduler's sweep publishes it once it counts as stranded.
    await hub.prisma.notificationEvent.update({ where: { id: 'outage-2' }, data: { createdAt: new Date(Date.now() - 120_000) } });
    await waitFor(async () => (await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: 'outage-2' } })).publishedAt, { timeoutMs: 30_000, what: 'outage-2 published by the sweep' });
    expect((await post('POST', '/v1/events/batch', { events })).body.results).toEqual([{ id: 'outage-1', status: 'duplicate' }, { id: 'outage-2', status: 'duplicate' }]);
    const published = await publishedEvents();
    expect([published.get('outage-1'), published.get('outage-2')]).toEqual([1, 1]);
  });

  it('a single post during the outage is a 503 too, and its event is published by the repost', async () => {
    const event = reminder('outage-single', 'outage-user');
    expect((await cutOffPost('POST', '/v1/events', event)).status).toBe(503);
    const again = await Promise.all(Array.from({ length: 10 }, () => post('POST', '/v1/events', event)));
    expect(again.map((a) => a.body.status).sort()).toEqual(['accepted', ...Array(9).fill('duplicate')]);
    expect((await publishedEvents()).get('outage-single')).toBe(1);
  });
});

describe('ids with a lone surrogate (refused by the input guard before the handlers)', () => {
  it('a targetUserId with a lone surrogate is a 400 that stores nothing; the event id stays usable', async () => {
    const bad = await post('POST', '/v1/events', reminder('surrogate-1', 'user-\uD800'));
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBeDefined();
    expect(await hub.prisma.notificationEvent.count({ where: { id: 'surrogate-1' } })).toBe(0);
    const good = await post('POST', '/v1/events', reminder('surrogate-1', 'user-ok'));
    expect(good).toMatchObject({ status: 202, body: { status: 'accepted' } });

    const batch = await post('POST', '/v1/events/batch', { events: [reminder('surrogate-2', 'user-ok'), reminder('surrogate-3', '\uDC00x')] });
    expect(batch.status).toBe(400);
    expect(await hub.prisma.notificationEvent.count({ where: { id: { in: ['surrogate-2', 'surrogate-3'] } } })).toBe(0);
    expect((await post('POST', '/v1/events', reminder('\uD800id', 'user-ok'))).status).toBe(400);
  });

  it('a user id with a lone surrogate is a 400 and creates no user', async () => {
    const before = await hub.prisma.user.count();
    expect((await admin('PUT', '/v1/users/bad%ED%A0%80id', {})).status).toBe(400);
    expect(await hub.prisma.user.count()).toBe(before);
  });
});

describe('concurrent creation of one user', () => {
  it('50 concurrent PUTs creating one user: all succeed (one 201), one row, the same final state', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => admin('PUT', '/v1/users/race-created', { timezone: 'Europe/Paris', locale: 'fr-fr' })));
    expect(answers.filter((a) => a.status >= 300)).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(49);
    for (const a of answers) expect(a.body).toMatchObject({ externalId: 'race-created', timezone: 'Europe/Paris', locale: 'fr-FR', sms: null });
    expect(await hub.prisma.user.count({ where: { externalId: 'race-created' } })).toBe(1);
    expect((await admin('GET', '/v1/users/race-created')).body).toMatchObject({ timezone: 'Europe/Paris', locale: 'fr-FR' });
  });

  it('concurrent PUTs with different bodies never fail, and the last write wins', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => ({ timezone: i % 2 ? 'America/New_York' : 'Asia/Tokyo', locale: 'en-US' }));
    const answers = await Promise.all(bodies.map((b) => admin('PUT', '/v1/users/race-mixed-body', b)));
    expect(answers.filter((a) => a.status >= 300)).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const final = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'race-mixed-body' } });
    expect(['America/New_York', 'Asia/Tokyo']).toContain(final.timezone);
  });
});

describe('concurrent subscription of one user', () => {
  it('30 concurrent PUTs of one new subscription: all 200, one row', async () => {
    await admin('PUT', '/v1/users/race-subscriber', {});
    const answers = await Promise.all(Array.from({ length: 30 }, () => admin('PUT', '/v1/users/race-subscriber/subscriptions/task.reminder', { channels: ['sms'] })));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const user = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'race-subscriber' } });
    expect(await hub.prisma.notificationSubscription.count({ where: { userId: user.id, eventType: 'task.reminder' } })).toBe(1);
  });
});

describe('short links', () => {
  it('HEAD answers like GET (302, Location) without counting a click; GET counts', async () => {
    await hub.prisma.smsClickTracking.create({ data: { shortCode: 'HeadCheck01', destinationUrl: 'https://example.test/task/1' } });
    const head = await hub.gateway.inject({ method: 'HEAD', url: '/l/HeadCheck01' });
    expect(head.statusCode).toBe(302);
    expect(head.headers.location).toBe('https://example.test/task/1');
    expect(head.headers['cache-control']).toBe('no-store');
    expect(head.body).toBe('');
    expect(await hub.prisma.smsClickTracking.findUniqueOrThrow({ where: { shortCode: 'HeadCheck01' } })).toMatchObject({ clickCount: 0, firstClickedAt: null });

    const get = await hub.gateway.inject({ method: 'GET', url: '/l/HeadCheck01' });
    expect(get.statusCode).toBe(302);
    expect(get.headers.location).toBe(head.headers.location);
    expect(await hub.prisma.smsClickTracking.findUniqueOrThrow({ where: { shortCode: 'HeadCheck01' } })).toMatchObject({ clickCount: 1 });
    expect((await hub.gateway.inject({ method: 'HEAD', url: '/l/HeadCheck01' })).statusCode).toBe(302);
    expect((await hub.prisma.smsClickTracking.findUniqueOrThrow({ where: { shortCode: 'HeadCheck01' } })).clickCount).toBe(1);
    expect((await hub.gateway.inject({ method: 'HEAD', url: '/l/NoSuchCode99' })).statusCode).toBe(404);
  });
});

describe('phone verification refuses impossible numbers before the provider', () => {
  it.each([
    ['0000000000', 'impossible_number'],
    ['+1 000 000 0000', 'impossible_number'],
    ['+١٤١٥٥٥٥٢٦٧١', 'non_ascii_digits'],
    ['４１５５５５２６７１', 'non_ascii_digits'],
  ])('refuses %j (400 invalid_phone, %s): no Verify call, no start used', async (phone, reason) => {
    await admin('PUT', '/v1/users/impossible-phone', {});
    const before = hub.sandbox.verifications().length;
    const res = await admin('POST', '/v1/users/impossible-phone/phone/verification', { phone });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_phone', reason, message: expect.any(String) });
    const check = await admin('POST', '/v1/users/impossible-phone/phone/verification/check', { phone, code: '123456' });
    expect(check.status).toBe(400);
    expect(check.body.error).toMatchObject({ code: 'invalid_phone', reason });
    expect(hub.sandbox.verifications().length).toBe(before);
    const user = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'impossible-phone' } });
    expect(await hub.prisma.phoneVerification.count({ where: { userId: user.id } })).toBe(0);
  });

  it('still sends a code to Twilio\'s test number +15005550006', async () => {
    await admin('PUT', '/v1/users/test-number', {});
    const res = await admin('POST', '/v1/users/test-number/phone/verification', { phone: '+15005550006' });
    expect(res).toMatchObject({ status: 202, body: { status: 'pending', phone: '+15005550006' } });
  });
});
