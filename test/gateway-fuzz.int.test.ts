import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Bus, ensureHubTopics } from '@hub/bus';
import { systemClock, TOPICS, type TopicName } from '@hub/contracts';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createLogger } from '@hub/logger';
import { createMetricsRegistry } from '@hub/runtime';
import { createTwilioProvider } from '@hub/sms-provider';
import { createTwilioSandbox, type TwilioSandbox } from '@hub/twilio-sandbox';
import { createTestDatabase } from '@hub/testkit';
import { buildGateway, createApiKey } from '@hub/gateway';
import { MAX_EVENT_PAYLOAD_BYTES } from '../services/gateway/src/config.ts';
import {
  BAD_STRINGS, baseRequest, bodyPaths, clone, label, mutations, operations as operationsOf, setAt, toInject as toInjectWith, WRONG_TYPES,
  type OpenApi,
} from './support/openapi-fuzz.ts';

/**
 * Fuzzes every operation of the gateway's OpenAPI document (its own /docs/json) with
 * classes of bad values in every path parameter, query parameter and body field: wrong
 * types, missing and extra fields, NUL, lone surrogates, emoji, huge strings, deep
 * nesting, out-of-range numbers and dates, injection-like strings, path traversal, bad
 * percent-encoding, crafted cursors. With an API key holding every scope, each answer must
 * be below 500, every 4xx in the hub's error shape (validation errors naming a field), and
 * a refused request must not have written a row. Deterministic: fixed values, and
 * fast-check with a fixed seed and bounded runs.
 *
 * The gateway runs alone (no router or adapter consuming), so the row snapshot taken after
 * each request changes only through that request.
 */

const log = createLogger({ service: 'fuzz', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });

let app: FastifyInstance;
let prisma: PrismaClient;
let bus: Bus;
let sandbox: TwilioSandbox;
let dropDb: () => Promise<void>;
let key: string;
let spec: OpenApi;

beforeAll(async () => {
  const db = await createTestDatabase(inject('baseDatabaseUrl'), inject('templateDatabase'));
  dropDb = db.drop;
  prisma = createPrisma(db.url, { poolMax: 4 });
  const prefix = `t${randomBytes(4).toString('hex')}`;
  bus = new Bus({ clientId: `${prefix}-gateway`, brokers: inject('kafkaBrokers'), topicPrefix: prefix, logger: log, sessionTimeoutMs: 6_000 });
  await ensureHubTopics(bus, { partitions: Object.fromEntries(Object.values(TOPICS).map((t) => [t, 1])) as Record<TopicName, number> });
  sandbox = createTwilioSandbox({ logger: false });
  await sandbox.start();
  const provider = createTwilioProvider({
    accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: sandbox.url,
    from: '+15005550006', verifyServiceSid: 'VA00000000000000000000000000000000', timeoutMs: 5_000,
  });
  app = await buildGateway({
    prisma, bus, log, clock: systemClock, metrics: createMetricsRegistry('gateway'), publicBaseUrl: 'http://127.0.0.1:3000',
    provider, allowedCountries: ['US', 'CA', 'GB'], rateLimitPerMinute: 10_000_000,
  });
  await installWriteCounter();
  key = (await createApiKey(prisma, 'fuzz-admin', ['events:write', 'admin:read', 'admin:write'])).key;
  const user = await app.inject({ method: 'PUT', url: '/v1/users/fuzz-user', headers: auth(), payload: { timezone: 'UTC' } });
  expect(user.statusCode).toBe(201);
  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  expect(docs.statusCode).toBe(200);
  spec = docs.json() as OpenApi;
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await sandbox?.close();
  await prisma?.$disconnect();
  await dropDb?.().catch(() => undefined);
});

const auth = () => ({ authorization: `Bearer ${key}` });
const operations = () => operationsOf(spec);
const toInject = (r: Parameters<typeof toInjectWith>[0]) => toInjectWith(r, auth());

// ---------------------------------------------------------------------------------------
// The oracle: status, error shape, no write on refusal

const TABLES = [
  'users', 'user_sms_preferences', 'notification_subscriptions', 'notification_events', 'notification_deliveries',
  'sms_messages', 'sms_message_events', 'sms_templates', 'sms_click_tracking', 'scheduled_jobs', 'phone_verifications', 'sms_opt_out_events',
];

/**
 * Row writes to the main tables since the test database was made: a row-level trigger on
 * each counts every insert, update and delete, so one tiny query tells whether a request
 * wrote anything.
 */
async function installWriteCounter(): Promise<void> {
  await prisma.$executeRawUnsafe('CREATE TABLE fuzz_writes (id int PRIMARY KEY, n bigint NOT NULL)');
  await prisma.$executeRawUnsafe('INSERT INTO fuzz_writes VALUES (1, 0)');
  await prisma.$executeRawUnsafe(`CREATE FUNCTION fuzz_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN UPDATE fuzz_writes SET n = n + 1 WHERE id = 1; RETURN NULL; END $$`);
  for (const t of TABLES) await prisma.$executeRawUnsafe(`CREATE TRIGGER fuzz_count_write AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION fuzz_count_write()`);
}

async function snapshot(): Promise<string> {
  const rows = await prisma.$queryRawUnsafe<{ n: bigint }[]>('SELECT n FROM fuzz_writes WHERE id = 1');
  return String(rows[0]!.n);
}

/**
 * Refusals that write by design: the provider refused a verification start (an invalid
 * number, or too many codes to it), and such a start counts toward the hourly limit, so
 * it is recorded in phone_verifications (services/gateway/README.md).
 */
const WRITING_REFUSALS = new Set(['verification_rejected', 'too_many_verifications']);

const failures: string[] = [];
let requests = 0;
let lastSnapshot = '';

async function check(what: string, options: InjectOptions, expectField?: string): Promise<{ status: number; code?: string }> {
  requests++;
  const res = await app.inject(options);
  const fail = (why: string) => failures.push(`${what}: ${why} → ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (res.statusCode >= 500) fail('5xx');
  let code: string | undefined;
  if (res.statusCode >= 400) {
    let body: { error?: { code?: unknown; message?: unknown; fields?: unknown } } = {};
    try {
      body = res.json();
    } catch {
      fail('error body is not JSON');
    }
    const error = body.error;
    if (!error || typeof error.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(error.code) || typeof error.message !== 'string') fail('not the hub error shape');
    code = typeof error?.code === 'string' ? error.code : undefined;
    if (code === 'validation_failed') {
      const fields = error?.fields as { field?: unknown; message?: unknown }[] | undefined;
      if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f.field === 'string' && /^(params|querystring|body|headers)\b/.test(f.field) && typeof f.message === 'string')) {
        fail('validation_failed without named fields');
      } else if (expectField && !fields.some((f) => (f.field as string).startsWith(expectField) || expectField.startsWith(f.field as string))) {
        fail(`validation_failed does not name ${expectField}`);
      }
    }
  }
  const after = await snapshot();
  if (res.statusCode >= 400 && after !== lastSnapshot && !(code && WRITING_REFUSALS.has(code))) fail('a refused request wrote rows');
  lastSnapshot = after;
  return { status: res.statusCode, code };
}

async function expectLive() {
  const live = await app.inject({ method: 'GET', url: '/health/live' });
  expect(live.statusCode).toBe(200);
  expect(live.json()).toEqual({ status: 'ok' });
}

/** The failures (the first 40, and how many there were in all), and a fresh list. */
const report = () => {
  const shown = failures.length > 40 ? [...failures.slice(0, 40), `… ${failures.length} failures in all`] : [...failures];
  failures.length = 0;
  return shown;
};

// ---------------------------------------------------------------------------------------

describe('gateway fuzz (from the OpenAPI document)', () => {
  it('covers every documented operation', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(30);
    expect(ops.filter((o) => o.body).length).toBeGreaterThan(10);
  });

  it('every operation × every class of bad value: no 5xx, hub-shaped 4xx naming the field, no write on refusal', async () => {
    lastSnapshot = await snapshot();
    const timings: string[] = [];
    for (const op of operations()) {
      const started = Date.now();
      const before = requests;
      // The base request itself must not fail (it may succeed or be refused: a 4xx is fine).
      await check(`${op.method} ${op.path} (base)`, toInject(baseRequest(op)));
      for (const m of mutations(op)) {
        const r = clone(baseRequest(op));
        m.apply(r);
        // A refusal naming a field should name the mutated one (or a parent/child of it).
        const expectField = m.slot.startsWith('body') && m.label !== 'missing' && !m.label.startsWith('extra') && m.label !== 'absent' ? m.slot : undefined;
        await check(`${op.method} ${op.path} [${m.slot} = ${m.label}]`, toInject(r), expectField);
      }
      timings.push(`${op.method} ${op.path}: ${requests - before} requests, ${Date.now() - started} ms`);
    }
    if (process.env.FUZZ_TIMINGS) console.log(timings.join('\n'));
    expect(requests).toBeGreaterThan(3_000);
    expect(report()).toEqual([]);
    await expectLive();
  }, 240_000);

  it('random values from fast-check in random slots (fixed seed)', async () => {
    lastSnapshot = await snapshot();
    const ops = operations();
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const value = fc.oneof(
      fc.string({ unit: anyUnit, maxLength: 50 }),
      fc.string({ unit: 'grapheme', maxLength: 50 }),
      fc.jsonValue({ maxDepth: 4 }),
      fc.constantFrom(...BAD_STRINGS, ...WRONG_TYPES),
    );
    await fc.assert(fc.asyncProperty(fc.nat(), fc.nat(), value, async (opIndex, slotIndex, v) => {
      const op = ops[opIndex % ops.length]!;
      const r = clone(baseRequest(op));
      const slots = [
        ...op.params.map((p) => (x: unknown) => { r.params[p.name] = x; }),
        ...op.query.map((p) => (x: unknown) => { r.query[p.name] = x; }),
        ...(op.body ? bodyPaths(r.body).map((path) => (x: unknown) => setAt(r.body, path, x)) : []),
      ];
      if (slots.length === 0) return;
      slots[slotIndex % slots.length]!(v);
      await check(`${op.method} ${op.path} [random ${label(v)}]`, toInject(r));
    }), { seed: 20_260_101, numRuns: 400 });
    expect(report()).toEqual([]);
    await expectLive();
  }, 120_000);
});

describe('framework-level refusals in the hub shape', () => {
  const post = (payload: string, headers: Record<string, string>) => ({ method: 'POST' as const, url: '/v1/events', headers: { ...auth(), ...headers }, payload });

  it('bad media types, bad JSON, prototype poisoning, bad URLs, over-long parameters, unknown methods', async () => {
    lastSnapshot = await snapshot();
    const cases: [string, InjectOptions, number, string][] = [
      ['text/plain', post('hello', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['xml', post('<a/>', { 'content-type': 'application/xml' }), 415, 'unsupported_media_type'],
      ['form', post('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
      ['truncated JSON', post('{"id":', { 'content-type': 'application/json' }), 400, 'invalid_json'],
      ['empty JSON body', post('', { 'content-type': 'application/json' }), 400, 'invalid_json'],
      ['__proto__', post('{"id":"p1","type":"x","__proto__":{"admin":true}}', { 'content-type': 'application/json' }), 400, 'invalid_json'],
      ['constructor.prototype', post('{"id":"p2","type":"x","constructor":{"prototype":{"admin":true}}}', { 'content-type': 'application/json' }), 400, 'invalid_json'],
      ['Content-Length shorter than the body', post('{"id":"cl1","type":"x"}', { 'content-type': 'application/json', 'content-length': '3' }), 400, 'invalid_content_length'],
      ['Content-Length longer than the body', post('{"id":"cl2","type":"x"}', { 'content-type': 'application/json', 'content-length': '100' }), 400, 'invalid_content_length'],
      ['bad percent-encoding in a path', { method: 'GET', url: '/v1/users/%zz', headers: auth() }, 400, 'invalid_url'],
      ['encoded lone surrogate in a path', { method: 'GET', url: '/v1/users/%ED%A0%80', headers: auth() }, 400, 'invalid_url'],
      ['over-long path parameter', { method: 'GET', url: `/v1/users/${'a'.repeat(800)}`, headers: auth() }, 414, 'param_too_long'],
      ['NUL in a path', { method: 'GET', url: '/v1/users/a%00b', headers: auth() }, 400, 'validation_failed'],
      ['unknown route', { method: 'GET', url: '/v1/../../etc/passwd', headers: auth() }, 404, 'not_found'],
      ['unknown method', { method: 'PROPFIND' as InjectOptions['method'], url: '/v1/events', headers: auth() }, 404, 'not_found'],
    ];
    for (const [what, options, status, code] of cases) {
      const res = await check(what, options);
      expect({ what, ...res }).toEqual({ what, status, code });
    }
    expect(report()).toEqual([]);
  });

  it('over the body limit: 413 body_too_large; HTTP the parser refuses: 400 in the hub shape', async () => {
    const big = await check('over the body limit', post(JSON.stringify({ id: 'big', type: 'x', payload: { blob: 'x'.repeat(1_100_000) } }), { 'content-type': 'application/json' }));
    expect(big).toEqual({ status: 413, code: 'body_too_large' });

    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const rawHttp = (text: string) => new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(text));
      let data = '';
      socket.on('data', (d) => { data += d.toString('utf8'); });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    const responses = [
      await rawHttp('GARBAGE\r\n\r\n'),
      await rawHttp(`GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`),
      await rawHttp(`POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}`),
      await rawHttp('GET /health/live HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'),
      // A body shorter than its Content-Length, then the client closes.
      await rawHttp(`POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"id":"s"}`),
    ];
    for (const text of responses) {
      const [head, body] = text.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(JSON.parse(body!)).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
    }
    await expectLive();
  });
});

describe('event payload bound', () => {
  const event = (id: string, payload: unknown) => ({ id, type: 'fuzz.bound', payload });

  it('an event just under the body limit is refused before it is stored (413 payload_too_large), one under the bound is published', async () => {
    lastSnapshot = await snapshot();
    const near = await check('payload near the body limit', { method: 'POST', url: '/v1/events', headers: auth(), payload: event('bound-big', { blob: 'x'.repeat(1_000_000) }) });
    expect(near).toEqual({ status: 413, code: 'payload_too_large' });
    const batch = await check('batch with one payload over the bound', {
      method: 'POST', url: '/v1/events/batch', headers: auth(),
      payload: { events: [event('bound-ok', { a: 1 }), event('bound-big-2', { blob: '€'.repeat(Math.ceil(MAX_EVENT_PAYLOAD_BYTES / 3)) })] },
    });
    expect(batch).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await prisma.notificationEvent.count({ where: { id: { in: ['bound-big', 'bound-ok', 'bound-big-2'] } } })).toBe(0);

    // The largest accepted payload (multi-byte text) goes through Kafka.
    const fits = { blob: '€'.repeat(Math.floor((MAX_EVENT_PAYLOAD_BYTES - 20) / 3)) };
    const ok = await app.inject({ method: 'POST', url: '/v1/events', headers: auth(), payload: event('bound-fits', fits) });
    expect(ok.statusCode).toBe(202);
    expect(await prisma.notificationEvent.count({ where: { id: 'bound-fits', publishedAt: { not: null } } })).toBe(1);
    expect(report()).toEqual([]);
    await expectLive();
  });
});
