import { describe, expect, it } from 'vitest';
import { forEachInGroups } from '../src/groups.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('forEachInGroups', () => {
  it('keeps each group in order, runs groups concurrently up to the limit, and handles every item once', async () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 5}`, n: i }));
    const seen: { key: string; n: number }[] = [];
    let running = 0;
    let peak = 0;
    await forEachInGroups(items, (i) => i.key, 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await tick(item.n % 3);
      seen.push(item);
      running--;
    });
    expect(seen).toHaveLength(40);
    expect(peak).toBe(3);
    for (let k = 0; k < 5; k++) {
      const ns = seen.filter((s) => s.key === `k${k}`).map((s) => s.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });

  it('rejects with the first failure', async () => {
    await expect(forEachInGroups([1, 2, 3], String, 2, async (n) => {
      if (n === 2) throw new Error('boom');
    })).rejects.toThrow('boom');
  });

  it('does nothing for no items', async () => {
    let calls = 0;
    await forEachInGroups([], String, 4, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });
});
