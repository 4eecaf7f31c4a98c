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

/**
 * Routes deliberately left out of the OpenAPI document (schema.hide), each with its reason.
 * Anything else the app registers must be documented.
 */
const HIDDEN: Record<string, string> = {
  // Prometheus text exposition for the scraper, not a JSON API for clients.
  'GET /metrics': 'prometheus',
  // Tracked short links inside SMS texts: a redirect a phone follows, not an API call.
  'GET /l/:code': 'short link redirect',
  // The embeddable inbox example (examples/inbox): a static page and script, not an API.
  'GET /inbox-example': 'inbox example page',
  'GET /inbox-example/inbox.js': 'inbox example script',
  // The admin console's static page and bundle (docs/console.md): a web app, not an API.
  'GET /console': 'console page',
  'GET /console/:file': 'console bundle',
};
/** @fastify/swagger-ui serves the document and its assets under this prefix (all hidden). */
const DOCS_PREFIX = '/docs';

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

interface Operation { summary?: string; tags?: string[]; security?: unknown[]; parameters?: { in: string }[]; requestBody?: unknown; responses: Record<string, unknown> }

describe('OpenAPI', () => {
  it('documents every registered route (but the commented hidden ones) with a summary, its inputs and its responses', async () => {
    const res = await hub.gateway.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(spec.openapi).toMatch(/^3\./);

    const routes = hub.gateway.routeTable;
    expect(routes.length).toBeGreaterThan(30);
    const hidden = routes.filter((r) => r.hidden && !r.url.startsWith(DOCS_PREFIX)).map((r) => `${r.method} ${r.url}`).sort();
    expect(hidden).toEqual(Object.keys(HIDDEN).sort());
    const registered: Record<string, string[]> = {};
    for (const r of routes.filter((x) => !x.hidden)) (registered[toOpenApiPath(r.url)] ??= []).push(r.method.toLowerCase());
    for (const methods of Object.values(registered)) methods.sort();
    const documented = Object.fromEntries(Object.entries(spec.paths).map(([path, ops]) => [path, Object.keys(ops).sort()]));
    expect(documented).toEqual(registered);

    for (const route of routes.filter((x) => !x.hidden)) {
      const method = route.method.toLowerCase();
      const path = toOpenApiPath(route.url);
      const op = spec.paths[path]![method]!;
      const what = `${method} ${path}`;
      expect(op.summary, what).toBeTruthy();
      expect(op.tags?.length, what).toBeGreaterThan(0);
      expect(Object.keys(op.responses).some((c) => /^2\d\d$/.test(c)), `${what} success response`).toBe(true);
      if (path.includes('{')) expect(op.parameters?.some((p) => p.in === 'path'), `${what} params`).toBe(true);
      if (['put', 'patch'].includes(method) || (method === 'post' && !/(deactivate|resend|cancel)$/.test(path))) {
        expect(op.requestBody, `${what} body`).toBeDefined();
      }
      if (route.scopes) {
        expect(op.responses, `${what} auth errors`).toHaveProperty('401');
        expect(op.responses, `${what} auth errors`).toHaveProperty('403');
      } else {
        expect(op.security, `${what} is public`).toEqual([]);
      }
    }
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

  it('keys the budget on the verified key: a forged key spends its IP\'s budget, never the real key\'s', async () => {
    const app = await buildGateway({
      prisma: hub.prisma, bus: hub.bus, log: hub.log, clock: systemClock, metrics: createMetricsRegistry('gateway'),
      publicBaseUrl: 'http://127.0.0.1:3000', rateLimitPerMinute: 3,
    });
    try {
      const real = await hub.apiKey(['admin:read']);
      const prefix = real.split('_')[1]!;
      // The real key's public prefix with a wrong secret: well-formed, but not verified.
      const forged = `hub_${prefix}_${'A'.repeat(32)}`;
      const get = (key: string | null, ip = '10.0.0.1') => app.inject({ method: 'GET', url: '/v1/templates', remoteAddress: ip, headers: key ? { authorization: `Bearer ${key}` } : {} });
      for (let i = 0; i < 3; i++) expect((await get(forged)).statusCode).toBe(401);
      expect((await get(forged)).statusCode).toBe(429);
      // No budget of its own either: another forged prefix, or no key, from that IP is limited too.
      expect((await get(`hub_${'0'.repeat(12)}_${'B'.repeat(32)}`)).statusCode).toBe(429);
      expect((await get(null)).statusCode).toBe(429);
      // The real key, from the same IP, still has its whole budget.
      for (let i = 0; i < 3; i++) expect((await get(real)).statusCode).toBe(200);
      expect((await get(real)).statusCode).toBe(429);
      // Another IP has its own budget for unauthenticated requests.
      expect((await get(forged, '10.0.0.2')).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
