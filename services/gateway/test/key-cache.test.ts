import { describe, expect, it } from 'vitest';
import type { KeyCheck } from '../src/api-keys.ts';
import { VerifiedKeyCache } from '../src/key-cache.ts';

const ok: KeyCheck = { ok: true, key: { id: 'k1', name: 'test', scopes: ['events:write'] } };

describe('verified API key cache', () => {
  it('looks a key up once per TTL, then again', async () => {
    let t = 0;
    let loads = 0;
    const cache = new VerifiedKeyCache(10_000, 100, () => t);
    const load = async () => { loads++; return ok; };
    await cache.get('hub_aaaaaaaaaaaa_secret', 'aaaaaaaaaaaa', load);
    await cache.get('hub_aaaaaaaaaaaa_secret', 'aaaaaaaaaaaa', load);
    expect(loads).toBe(1);
    t = 10_001;
    await cache.get('hub_aaaaaaaaaaaa_secret', 'aaaaaaaaaaaa', load);
    expect(loads).toBe(2);
  });

  it('shares one lookup between concurrent requests, and forgets a key by its prefix at once', async () => {
    let loads = 0;
    const cache = new VerifiedKeyCache(10_000);
    const load = async () => { loads++; await new Promise((r) => setTimeout(r, 5)); return ok; };
    await Promise.all(Array.from({ length: 20 }, () => cache.get('hub_bbbbbbbbbbbb_s', 'bbbbbbbbbbbb', load)));
    expect(loads).toBe(1);
    cache.invalidate('cccccccccccc');
    await cache.get('hub_bbbbbbbbbbbb_s', 'bbbbbbbbbbbb', load);
    expect(loads).toBe(1);
    cache.invalidate('bbbbbbbbbbbb');
    await cache.get('hub_bbbbbbbbbbbb_s', 'bbbbbbbbbbbb', load);
    expect(loads).toBe(2);
  });

  it('does not keep a failed lookup, is bounded, and TTL 0 disables it', async () => {
    const cache = new VerifiedKeyCache(10_000, 3);
    await expect(cache.get('hub_x', null, () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await Promise.resolve();
    expect(cache.size).toBe(0);
    for (let i = 0; i < 10; i++) await cache.get(`hub_${i}`, null, async () => ok);
    expect(cache.size).toBe(3);
    let loads = 0;
    const off = new VerifiedKeyCache(0);
    await off.get('hub_y', null, async () => { loads++; return ok; });
    await off.get('hub_y', null, async () => { loads++; return ok; });
    expect(loads).toBe(2);
  });
});
