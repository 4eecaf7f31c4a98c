import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasScope, SCOPES, type RouteEntry, type Scope } from '@hub/gateway';
import { startHub, type TestHub } from './support/hub.ts';
import { CliError, runCli } from '../scripts/hub-cli.ts';

/**
 * The auth matrix, generated from the app's route table: every route with an API-key check
 * refuses no key (401), a revoked key (401 api_key_revoked) and a key without its scope (403),
 * each with a JSON error body. The revoked key is revoked through the operator CLI.
 */
let hub: TestHub;
let revoked: string;
const keyFor: Partial<Record<Scope, string>> = {};

/** The operator CLI in-process, against the hub's database; returns what it printed. */
async function cli(...args: string[]): Promise<string> {
  const lines: string[] = [];
  await runCli(args, { prisma: hub.prisma, print: (l) => lines.push(l) });
  return lines.join('\n');
}

beforeAll(async () => {
  hub = await startHub();
  for (const scope of SCOPES) keyFor[scope] = await hub.apiKey([scope]);
  revoked = await hub.apiKey([...SCOPES]);
  await cli('keys', 'revoke', revoked.split('_')[1]!);
});
afterAll(async () => {
  await hub?.stop();
});

const authenticated = () => hub.gateway.routeTable.filter((r): r is RouteEntry & { scopes: readonly Scope[] } => r.scopes !== null);
const urlOf = (r: RouteEntry) => r.url.replace(/:id\b/g, '00000000-0000-4000-8000-000000000000').replace(/:([A-Za-z]+)/g, 'x');

/** A key whose scopes satisfy none of the route's. */
function wrongKey(r: { scopes: readonly Scope[] }): string {
  const scope = SCOPES.find((s) => !r.scopes.some((needed) => hasScope({ id: '', name: '', scopes: [s] }, needed)));
  if (!scope) throw new Error(`every scope opens ${r.scopes.join(',')}`);
  return keyFor[scope]!;
}

async function call(r: RouteEntry, key: string | null) {
  const res = await hub.gateway.inject({ method: r.method as 'GET', url: urlOf(r), headers: key ? { authorization: `Bearer ${key}` } : {} });
  expect(res.headers['content-type'], `${r.method} ${r.url}`).toMatch(/application\/json/);
  return { status: res.statusCode, code: (res.json() as { error?: { code: string } }).error?.code };
}

describe('auth matrix (every authenticated route)', () => {
  it('covers the whole API', () => {
    expect(authenticated().length).toBeGreaterThanOrEqual(30);
    // The end-user inbox API (/v1/inbox/…) takes no API key: a user token signed by the
    // upstream backend is its authority (test/inapp-inbox.int.test.ts); its example page is static.
    // Public on purpose: health, docs, Prometheus, short links, the links in emails
    // (confirmation, one-click unsubscribe), whose signed or random token is the authority,
    // and the console's static files (its data comes from the API with the pasted key).
    const publicRoutes = hub.gateway.routeTable.filter((r) => r.scopes === null && !r.url.startsWith('/docs')).map((r) => `${r.method} ${r.url}`).sort();
    expect(publicRoutes).toEqual(['GET /console', 'GET /console/:file', 'GET /e/verify/:token', 'GET /health', 'GET /health/live', 'GET /inbox-example', 'GET /inbox-example/inbox.js', 'GET /l/:code', 'GET /metrics', 'GET /u/:token', 'GET /v1/inbox/counts', 'GET /v1/inbox/items', 'GET /v1/inbox/stream', 'POST /e/verify/:token', 'POST /u/:token', 'POST /v1/inbox/items/:itemId/mark', 'POST /v1/inbox/mark-all']);
  });

  const cases: [string, () => string | null, number, string][] = [
    ['no key', () => null, 401, 'unauthenticated'],
    ['a revoked key', () => revoked, 401, 'api_key_revoked'],
    ['a malformed key', () => 'hub_nope', 401, 'invalid_api_key'],
  ];
  it.each(cases)('refuses %s with %d', async (_what, key, status, code) => {
    for (const r of authenticated()) expect(await call(r, key()), `${r.method} ${r.url}`).toEqual({ status, code });
  });

  it('refuses a key without the route\'s scope with 403', async () => {
    for (const r of authenticated()) expect(await call(r, wrongKey(r)), `${r.method} ${r.url} (${r.scopes.join('|')})`).toEqual({ status: 403, code: 'insufficient_scope' });
  });
});

describe('operator CLI: keys', () => {
  it('creates a key printed once (only its hash is stored), lists it, and revokes it once', async () => {
    const out = await cli('keys', 'create', '--scopes', 'admin:read,events:write', '--name', 'cli-test');
    const key = /key {5}(hub_([0-9a-f]{12})_(\S+))/.exec(out);
    expect(key, out).not.toBeNull();
    const [, full, prefix, secret] = key!;
    const row = await hub.prisma.apiKey.findUniqueOrThrow({ where: { prefix } });
    expect(row).toMatchObject({ name: 'cli-test', scopes: ['admin:read', 'events:write'], revokedAt: null, secretHash: createHash('sha256').update(secret!).digest('hex') });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await hub.gateway.inject({ method: 'GET', url: '/v1/templates', headers: { 'x-api-key': full! } })).statusCode).toBe(200);

    const listed = await cli('keys', 'list');
    expect(listed).toContain(`${row.id}  hub_${prefix}_…  cli-test  admin:read,events:write  active`);
    expect(listed).not.toContain(secret);

    expect(await cli('keys', 'revoke', row.id)).toBe(`revoked ${row.id}`);
    const first = (await hub.prisma.apiKey.findUniqueOrThrow({ where: { id: row.id } })).revokedAt!;
    expect(first).toBeInstanceOf(Date);
    expect(await cli('keys', 'revoke', full!)).toBe(`${full} was already revoked at ${first.toISOString()}; left unchanged`);
    expect((await hub.prisma.apiKey.findUniqueOrThrow({ where: { id: row.id } })).revokedAt).toEqual(first);
    expect(await cli('keys', 'list')).toContain(`cli-test  admin:read,events:write  revoked ${first.toISOString()}`);
    expect((await hub.gateway.inject({ method: 'GET', url: '/v1/templates', headers: { 'x-api-key': full! } })).statusCode).toBe(401);
  });

  it('refuses unknown scopes, unknown keys and bad usage, storing nothing', async () => {
    const before = await hub.prisma.apiKey.count();
    await expect(cli('keys', 'create', '--scopes', 'admin:everything')).rejects.toThrow(CliError);
    await expect(cli('keys', 'create')).rejects.toThrow(/--scopes is required/);
    await expect(cli('keys', 'revoke', '0123456789ab')).rejects.toThrow(/no key/);
    await expect(cli('keys', 'frobnicate')).rejects.toThrow(/usage/);
    expect(await hub.prisma.apiKey.count()).toBe(before);
  });

  it('runs as a process: output on stdout, usage errors exit 2', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DATABASE_URL: hub.databaseUrl };
    const { stdout } = await run('npx', ['tsx', 'scripts/hub-cli.ts', 'keys', 'list'], { env });
    expect(stdout).toContain(`hub_${revoked.split('_')[1]}_…`);
    const failed = await run('npx', ['tsx', 'scripts/hub-cli.ts', 'keys', 'revoke'], { env }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('error: keys revoke <id-or-prefix>') });
  });
});
