import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyFailure } from '@hub/bus';
import { Registry } from 'prom-client';
import { ChannelClosedError, ChannelGate, type GateState } from '../src/channel-gate.ts';

describe('ChannelGate', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = async (p: Promise<void> | undefined) => {
    let done = false;
    void p?.then(() => (done = true), () => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return p === undefined || done;
  };

  it('is open (no wait at all) until a provider-wide failure', () => {
    const gate = new ChannelGate({ channel: 'sms' });
    expect(gate.pass()).toBeUndefined();
    gate.succeeded();
    expect(gate.state().paused).toBe(false);
  });

  it('holds callers while paused, lets one probe go after the pause, and opens for all on its success', async () => {
    const changes: GateState[] = [];
    const gate = new ChannelGate({ channel: 'sms', initialPauseMs: 1_000, onChange: (s) => changes.push(s) });
    gate.failed({ code: 'auth_failed', reason: '20003: Authenticate' });
    const held = [gate.pass(), gate.pass(), gate.pass()];
    expect(gate.held).toBe(3);
    expect(await settled(held[0])).toBe(false);
    await vi.advanceTimersByTimeAsync(1_001);
    // exactly one probe released
    expect(await settled(held[0])).toBe(true);
    expect(await settled(held[1])).toBe(false);
    expect(gate.held).toBe(2);
    gate.succeeded();
    expect(await settled(held[1])).toBe(true);
    expect(await settled(held[2])).toBe(true);
    expect(changes.map((c) => c.paused)).toEqual([true, false]);
    expect(changes[0]).toMatchObject({ code: 'auth_failed', failures: 1 });
  });

  it('doubles the pause per failed probe up to the maximum; failures of requests already in flight do not count', async () => {
    const gate = new ChannelGate({ channel: 'sms', initialPauseMs: 1_000, maxPauseMs: 3_000 });
    const t0 = Date.now();
    gate.failed({ code: 'auth_failed', reason: 'x' });
    gate.failed({ code: 'auth_failed', reason: 'x' }); // an in-flight request: same outage
    expect(gate.state()).toMatchObject({ failures: 1 });
    expect(gate.state().until!.getTime() - t0).toBe(1_000);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = gate.pass();
      const from = Date.now();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await settled(p)).toBe(true);
      gate.failed({ code: 'auth_failed', reason: 'x' }); // the probe failed
      waits.push(gate.state().until!.getTime() - Date.now());
      void from;
    }
    expect(waits).toEqual([2_000, 3_000, 3_000]);
    expect(gate.state().failures).toBe(4);
  });

  it("waits the provider's Retry-After when it gives one", () => {
    const gate = new ChannelGate({ channel: 'sms', initialPauseMs: 5_000 });
    const t0 = Date.now();
    gate.failed({ code: 'rate_limited', reason: '429', retryAfterMs: 1_000 });
    expect(gate.state().until!.getTime() - t0).toBe(1_000);
  });

  it('lets another probe go when one reports nothing for the probe timeout', async () => {
    const gate = new ChannelGate({ channel: 'sms', initialPauseMs: 100, probeTimeoutMs: 2_000 });
    gate.failed({ code: 'network', reason: 'ECONNREFUSED' });
    const a = gate.pass();
    const b = gate.pass();
    await vi.advanceTimersByTimeAsync(150);
    expect(await settled(a)).toBe(true);
    expect(await settled(b)).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await settled(b)).toBe(true);
  });

  it('ends every wait with a transient error on close (the batch is redelivered, not dead-lettered)', async () => {
    const gate = new ChannelGate({ channel: 'sms' });
    gate.failed({ code: 'auth_failed', reason: 'x' });
    const p = gate.pass()!;
    gate.close();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelClosedError);
    expect(classifyFailure(err)).toBe('transient');
    await expect(gate.pass()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('exports hub_channel_paused, hub_channel_held_requests and hub_channel_pauses_total', async () => {
    const metrics = new Registry();
    const gate = new ChannelGate({ channel: 'email', metrics });
    gate.failed({ code: 'auth_failed', reason: '535' });
    void gate.pass();
    const text = await metrics.metrics();
    expect(text).toContain('hub_channel_paused{channel="email"} 1');
    expect(text).toContain('hub_channel_held_requests{channel="email"} 1');
    expect(text).toContain('hub_channel_pauses_total{channel="email",code="auth_failed"} 1');
    gate.succeeded();
    expect(await metrics.metrics()).toContain('hub_channel_paused{channel="email"} 0');
  });
});
