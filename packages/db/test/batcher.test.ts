import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Batcher (group commit)', () => {
  it('flushes an idle caller at once and groups the callers that arrive during a flush', async () => {
    const calls: number[][] = [];
    let release: () => void = () => undefined;
    const b = new Batcher<number, number>(async (xs) => {
      calls.push(xs);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      return xs.map((x) => x * 10);
    }, { concurrency: 1 });
    const first = b.call(1);
    await tick();
    expect(calls).toEqual([[1]]); // not waiting for company
    const rest = [b.call(2), b.call(3), b.call(4)];
    await tick();
    expect(calls).toHaveLength(1); // they wait for the flush in flight
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  it('never takes more than maxBatch inputs in one flush, and runs up to `concurrency` flushes at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sizes: number[] = [];
    const b = new Batcher<number, number>(async (xs) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sizes.push(xs.length);
      await tick();
      inFlight -= 1;
      return xs;
    }, { maxBatch: 3, concurrency: 2 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.call(i)));
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBe(2);
  });

  it('re-runs a failed flush one input at a time, so one bad input fails only its caller', async () => {
    const b = new Batcher<number, number>(async (xs) => {
      if (xs.includes(13)) throw new Error('unlucky');
      return xs;
    }, { concurrency: 1 });
    const slow = b.call(0); // holds the flush so the next three are grouped
    const results = await Promise.allSettled([slow, b.call(12), b.call(13), b.call(14)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  it('fails every caller at once when splitOnError says the error is shared (e.g. a lost connection)', async () => {
    let runs = 0;
    const b = new Batcher<number, number>(async () => {
      runs += 1;
      await tick();
      throw new Error('connection lost');
    }, { concurrency: 1, splitOnError: () => false });
    const results = await Promise.allSettled([b.call(1), b.call(2), b.call(3)]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(runs).toBe(2); // [1] alone, then [2, 3] together; never one by one
  });

  it('rejects (and never re-runs) when the batch function returns the wrong number of results', async () => {
    let runs = 0;
    const b = new Batcher<number, number>(async (xs) => {
      runs += 1;
      await tick();
      return xs.slice(1);
    }, { concurrency: 1 });
    const results = await Promise.allSettled([b.call(1), b.call(2), b.call(3)]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(runs).toBe(2);
  });
});
