import { describe, expect, it } from 'vitest';
import { chainFor, escalationSteps, planChain, type RoutingPolicy } from '../src/routing-policy.ts';

const policy: RoutingPolicy = {
  eventType: 'task.reminder',
  fallback: ['inapp', 'email', 'sms'],
  escalation: [{ channel: 'email', afterMs: 60_000, urgentOnly: false }, { channel: 'sms', afterMs: 120_000, urgentOnly: true }],
};

describe('routing policy rules', () => {
  it('the chain is the policy order restricted to the subscribed channels; none without a policy', () => {
    expect(chainFor(policy, ['sms', 'inapp'])).toEqual(['inapp', 'sms']);
    expect(chainFor(policy, ['push'])).toBeNull();
    expect(chainFor(undefined, ['sms'])).toBeNull();
    expect(chainFor({ ...policy, fallback: [] }, ['sms'])).toBeNull();
  });

  it('plans each unusable channel up to and including the first usable one', () => {
    const avail: Record<string, string | null> = { inapp: 'no_inbox', email: 'no_email', sms: null };
    const plan = planChain(['inapp', 'email', 'sms'], (c) => ({ available: avail[c] === null, reason: avail[c] ?? null }));
    expect(plan).toEqual([
      { channel: 'inapp', available: false, reason: 'no_inbox' },
      { channel: 'email', available: false, reason: 'no_email' },
      { channel: 'sms', available: true, reason: null },
    ]);
    expect(planChain(['inapp', 'email'], () => ({ available: true, reason: null })).map((p) => p.channel)).toEqual(['inapp']);
    expect(planChain(['email'], () => ({ available: false, reason: 'opted_out' }))).toEqual([{ channel: 'email', available: false, reason: 'opted_out' }]);
  });

  it('urgent events get every escalation step, others only those not urgentOnly (with their policy index)', () => {
    expect(escalationSteps(policy, true).map((s) => [s.index, s.step.channel])).toEqual([[0, 'email'], [1, 'sms']]);
    expect(escalationSteps(policy, false).map((s) => [s.index, s.step.channel])).toEqual([[0, 'email']]);
    expect(escalationSteps(undefined, true)).toEqual([]);
  });
});
