import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '@hub/contracts';
import { createMetricsRegistry } from '@hub/runtime';
import { buildGateway } from '@hub/gateway';
import { startHub, type TestHub } from './support/hub.ts';

let hub: TestHub;
let strict: FastifyInstance;

beforeAll(async () => {
  hub = await startHub();
  strict = await buildGateway({
    prisma: hub.prisma, bus: hub.bus, log: hub.log, clock: systemClock, metrics: createMetricsRegistry('gateway'),
    publicBaseUrl: 'http://127.0.0.1:3000', provider: hub.provider, rateLimitPerMinute: 3, bodyLimit: 2_048,
  });
  strict.get('/boom', { schema: { hide: true } as object }, async () => {
    throw new Error('connection to postgres://admin:hunter2@db failed');
  });
});
afterAll(async () => {
  await strict?.close();
  await hub?.stop();
});

/** Every route of the API, as OpenAPI paths: the spec must document each one. */
const EXPECTED: Record<string, string[]> = {
  '/v1/events': ['post'],
  '/v1/events/batch': ['post'],
  '/v1/deliveries': ['get'],
  '/v1/deliveries/{id}': ['get'],
  '/v1/deliveries/{id}/resend': ['post'],
  '/v1/deliveries/{id}/cancel': ['post'],
  '/v1/sms-messages': ['get'],
  '/v1/users/{externalId}': ['get', 'put'],
  '/v1/users/{externalId}/subscriptions': ['get'],
  '/v1/users/{externalId}/subscriptions/{eventType}': ['delete', 'put'],
  '/v1/users/{externalId}/sms-preferences': ['get', 'patch'],
  '/v1/users/{externalId}/sms-preferences/opt-out': ['post'],
  '/v1/users/{externalId}/sms-preferences/opt-in': ['post'],
  '/v1/users/{externalId}/phone/verification': ['post'],
  '/v1/users/{externalId}/phone/verification/check': ['post'],
  '/v1/templates': ['get', 'post'],
  '/v1/templates/preview': ['post'],
  '/v1/templates/{key}': ['get', 'put'],
  '/v1/templates/{key}/deactivate': ['post'],
  '/v1/templates/{key}/preview': ['post'],
  '/v1/metrics/daily': ['get'],
  '/v1/metrics/failures': ['get'],
  '/v1/metrics/templates': ['get'],
  '/v1/metrics/users': ['get'],
  '/v1/metrics/cost': ['get'],
  '/health': ['get'],
  '/health/live': ['get'],
};

interface Operation { summary?: string; tags?: string[]; security?: unknown[]; parameters?: { in: string }[]; requestBody?: unknown; responses: Record<string, unknown> }

describe('OpenAPI', () => {
  it('documents every route with a summary, its inputs and its error responses', async () => {
    const res = await hub.gateway.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(spec.openapi).toMatch(/^3\./);
    const documented = Object.fromEntries(Object.entries(spec.paths).map(([path, ops]) => [path, Object.keys(ops).sort()]));
    expect(documented).toEqual(EXPECTED);
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
        if (path.includes('{')) expect(op.parameters?.some((p) => p.in === 'path'), `${method} ${path} params`).toBe(true);
        if (['put', 'patch'].includes(method) || (method === 'post' && !/(deactivate|resend|cancel)$/.test(path))) {
          expect(op.requestBody, `${method} ${path} body`).toBeDefined();
        }
      }
    }
    expect(spec.paths['/v1/users/{externalId}']!.put!.responses).toHaveProperty('401');
    expect(spec.paths['/health']!.get!.security).toEqual([]);
    expect((await hub.gateway.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    const live = await hub.gateway.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
  });
});

describe('hardening', () => {
  it('sends security headers', async () => {
    const res = await strict.inject({ method: 'GET', url: '/health' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('hides internal errors: no message, no stack', async () => {
    const res = await strict.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'unavailable', message: 'the hub could not complete the request; retry later' } });
    expect(res.body).not.toMatch(/hunter2|at .*\.ts/);
  });

  it('answers unknown routes and oversized bodies with JSON errors', async () => {
    const missing = await strict.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    const key = await hub.apiKey(['events:write']);
    const big = await strict.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload: { id: 'big', type: 'x', payload: { blob: 'x'.repeat(4_000) } } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('body_too_large');
  });

  it('rate-limits per API key, whichever header carries it, not per IP', async () => {
    const a = await hub.apiKey(['admin:read']);
    const b = await hub.apiKey(['admin:read']);
    const get = (headers: Record<string, string>) => strict.inject({ method: 'GET', url: '/v1/templates', headers });
    for (let i = 0; i < 3; i++) expect((await get({ authorization: `Bearer ${a}` })).statusCode).toBe(200);
    const limited = await get({ 'x-api-key': a });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBeDefined();
    // Same client IP, another key: its own budget.
    expect((await get({ authorization: `Bearer ${b}` })).statusCode).toBe(200);
  });
});
