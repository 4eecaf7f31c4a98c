import { describe, expect, it } from 'vitest';
import type { SmsTemplate } from '@hub/db';
import { TemplateStore, templateKeyFor, type TemplateSource } from '../src/template-store.ts';

/** An in-memory sms_templates that counts its reads; its rows can be edited between reads. */
class FakeTemplates implements TemplateSource {
  readonly reads: string[] = [];
  readonly rows = new Map<string, SmsTemplate>();
  readonly smsTemplate = {
    findFirst: async (args: { where: { templateKey: string; isActive: true } }) => {
      this.reads.push(args.where.templateKey);
      const row = this.rows.get(args.where.templateKey);
      return row?.isActive ? row : null;
    },
  };
  put(key: string, text: string, isActive = true): void {
    const at = new Date('2026-01-01T00:00:00Z');
    this.rows.set(key, {
      id: `id-${key}`, templateKey: key, name: key, description: null, messageTemplate: text, templateVars: {}, requiredVars: [],
      maxLength: 160, isActive, usageCount: 0, lastUsedAt: null, createdAt: at, updatedAt: at,
    });
  }
}

function setup(ttlMs: number) {
  const db = new FakeTemplates();
  let now = 1_000_000;
  const store = new TemplateStore(db, ttlMs, () => now);
  return { db, store, advance: (ms: number) => (now += ms) };
}

describe('TemplateStore', () => {
  it('serves a template from the cache until its TTL has passed, then reads it again', async () => {
    const { db, store, advance } = setup(30_000);
    db.put('task_reminder', 'v1');
    expect((await store.get('task_reminder'))?.messageTemplate).toBe('v1');
    db.put('task_reminder', 'v2');
    advance(29_999);
    expect((await store.get('task_reminder'))?.messageTemplate).toBe('v1');
    expect(db.reads).toEqual(['task_reminder']);
    advance(1); // expires exactly at TTL
    expect((await store.get('task_reminder'))?.messageTemplate).toBe('v2');
    expect(db.reads).toEqual(['task_reminder', 'task_reminder']);
    // The new copy gets a fresh TTL.
    advance(29_999);
    await store.get('task_reminder');
    expect(db.reads).toHaveLength(2);
  });

  it('caches a missing or inactive template too (no read per send for a fallback text)', async () => {
    const { db, store, advance } = setup(30_000);
    db.put('off', 'x', false);
    expect(await store.get('off')).toBeNull();
    expect(await store.get('absent')).toBeNull();
    expect(await store.get('off')).toBeNull();
    expect(await store.get('absent')).toBeNull();
    expect(db.reads).toEqual(['off', 'absent']);
    db.put('absent', 'now here');
    advance(30_000);
    expect((await store.get('absent'))?.messageTemplate).toBe('now here');
  });

  it('invalidate(key) drops that key only; invalidate() drops every key', async () => {
    const { db, store } = setup(600_000);
    db.put('a', 'a1');
    db.put('b', 'b1');
    await store.get('a');
    await store.get('b');
    db.put('a', 'a2');
    db.put('b', 'b2');
    store.invalidate('a');
    expect((await store.get('a'))?.messageTemplate).toBe('a2');
    expect((await store.get('b'))?.messageTemplate).toBe('b1');
    store.invalidate('unknown-key'); // a change of a template nobody cached
    expect(db.reads).toEqual(['a', 'b', 'a']);

    db.put('a', 'a3');
    store.invalidate();
    expect((await store.get('a'))?.messageTemplate).toBe('a3');
    expect((await store.get('b'))?.messageTemplate).toBe('b2');
    expect(db.reads).toEqual(['a', 'b', 'a', 'a', 'b']);
  });

  it('an empty key invalidates everything (a NOTIFY without payload)', async () => {
    const { db, store } = setup(600_000);
    db.put('a', 'a1');
    await store.get('a');
    db.put('a', 'a2');
    store.invalidate('');
    expect((await store.get('a'))?.messageTemplate).toBe('a2');
  });

  it('a TTL of 0 reads every time', async () => {
    const { db, store } = setup(0);
    db.put('a', 'a1');
    await store.get('a');
    await store.get('a');
    expect(db.reads).toEqual(['a', 'a']);
  });
});

describe('templateKeyFor', () => {
  it.each([
    ['task.reminder', 'task_reminder'],
    ['task.due', 'task_reminder'],
    ['brief.ready', 'daily_brief_ready'],
    ['daily_brief.ready', 'daily_brief_ready'],
    ['task.urgent', 'urgent_task'],
    ['user.welcome', 'welcome_sms'],
    ['phone.verified', 'welcome_sms'],
  ])('the seeds\' event %s uses the template %s', (eventType, key) => {
    expect(templateKeyFor(eventType)).toBe(key);
  });

  it.each([
    ['invoice.paid', 'invoice_paid'],
    ['billing.invoice.overdue', 'billing_invoice_overdue'],
    ['order-shipped', 'order_shipped'],
    ['team.member-added', 'team_member_added'],
    ['already_snake', 'already_snake'],
    ['Mixed.Case', 'Mixed_Case'],
  ])('any other type maps dots and dashes to underscores: %s → %s', (eventType, key) => {
    expect(templateKeyFor(eventType)).toBe(key);
  });
});
