import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';

// Issue 14: verified API keys are cached by the gateway; a revocation made anywhere (here in
// SQL, as the CLI does) still takes effect at once through PostgreSQL's NOTIFY.

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await hub?.stop();
});

const get = (key: string) => hub.gateway.inject({ method: 'GET', url: '/v1/deliveries?limit=1', headers: { authorization: `Bearer ${key}` } });

describe('API key cache', () => {
  it('a cached key revoked in SQL is refused within a second (NOTIFY), not after the TTL', async () => {
    const key = await hub.apiKey(['admin:read']);
    expect((await get(key)).statusCode).toBe(200);
    expect((await get(key)).statusCode).toBe(200); // served from the cache
    const revokedAt = Date.now();
    await hub.prisma.apiKey.update({ where: { prefix: key.split('_')[1]! }, data: { revokedAt: new Date() } });
    await waitFor(async () => ((await get(key)).statusCode === 401 ? true : null), { timeoutMs: 5_000, intervalMs: 20, what: 'the revoked key refused' });
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    expect((await get(key)).json().error.code).toBe('api_key_revoked');
  });

  it('a deleted key is refused too, and other keys keep working', async () => {
    const gone = await hub.apiKey(['admin:read']);
    const other = await hub.apiKey(['admin:read']);
    expect((await get(gone)).statusCode).toBe(200);
    expect((await get(other)).statusCode).toBe(200);
    await hub.prisma.apiKey.delete({ where: { prefix: gone.split('_')[1]! } });
    await waitFor(async () => ((await get(gone)).statusCode === 401 ? true : null), { timeoutMs: 5_000, intervalMs: 20, what: 'the deleted key refused' });
    expect((await get(other)).statusCode).toBe(200);
  });
});
