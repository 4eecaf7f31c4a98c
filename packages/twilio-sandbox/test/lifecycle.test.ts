import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, planLifecycle, type Plan, type Scenario } from '../src/index.ts';

const plan = (s: Partial<Scenario> = {}) => planLifecycle({ ...DEFAULT_SCENARIO, ...s });
/** The callbacks in posting order, as "status" or "status:code". */
const posted = (p: Plan) => p.postOrder.map((i) => p.steps[i]!).filter((s) => s.post).map((s) => (s.errorCode === null ? s.status : `${s.status}:${s.errorCode}`));
const changes = (p: Plan) => p.steps.map((s) => s.status);

describe('planLifecycle', () => {
  it('delivers by default: queued → sent → delivered, in order', () => {
    const p = plan();
    expect(changes(p)).toEqual(['queued', 'sent', 'delivered']);
    expect(posted(p)).toEqual(['queued', 'sent', 'delivered']);
    expect(p.duplicate).toBe(false);
    expect(p.delayMs).toBe(20);
  });

  it('undelivered carries 30003 unless another code is given', () => {
    expect(posted(plan({ outcome: 'undelivered' }))).toEqual(['queued', 'sent', 'undelivered:30003']);
    expect(posted(plan({ outcome: 'undelivered', errorCode: 30006 }))).toEqual(['queued', 'sent', 'undelivered:30006']);
  });

  it('failed is never sent: queued → failed (30008 by default)', () => {
    expect(posted(plan({ outcome: 'failed' }))).toEqual(['queued', 'failed:30008']);
    expect(posted(plan({ outcome: 'failed', errorCode: 30007 }))).toEqual(['queued', 'failed:30007']);
  });

  it('out of order posts the final status first, while the status changes stay in order', () => {
    const p = plan({ outOfOrder: true });
    expect(posted(p)).toEqual(['delivered', 'sent', 'queued']);
    expect(changes(p)).toEqual(['queued', 'sent', 'delivered']);
  });

  it('can leave out the queued callback, the final one, or all of them', () => {
    expect(posted(plan({ queuedCallback: false }))).toEqual(['sent', 'delivered']);
    expect(posted(plan({ dropFinal: true }))).toEqual(['queued', 'sent']);
    const dropped = plan({ dropCallbacks: true });
    expect(posted(dropped)).toEqual([]);
    expect(changes(dropped)).toEqual(['queued', 'sent', 'delivered']);
  });

  it('passes duplicate and delay through', () => {
    expect(plan({ duplicate: true, delayMs: 0 })).toMatchObject({ duplicate: true, delayMs: 0 });
  });
});
