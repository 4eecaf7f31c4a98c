import { describe, expect, it } from 'vitest';
import { fallbackText, humanizeEventType } from '../src/fallback-text.ts';
import { countSegments } from '../src/segments.ts';

describe('humanizeEventType', () => {
  it.each([
    ['task.due_soon', 'Task due soon'],
    ['user.signup', 'User signup'],
    ['brief.completed', 'Brief completed'],
    ['billingInvoicePaid', 'Billing invoice paid'],
    ['ORDER-SHIPPED', 'Order shipped'],
    ['', 'Notification'],
    ['...', 'Notification'],
  ])('%j → %j', (input, expected) => expect(humanizeEventType(input)).toBe(expected));
});

describe('fallbackText', () => {
  it('uses the payload\'s title and body when both exist', () => {
    expect(fallbackText('brief.ready', { title: 'Daily brief', body: 'Focus: Q4 reports' })).toBe('Daily brief: Focus: Q4 reports');
  });

  it('does not repeat a title the body already starts with', () => {
    expect(fallbackText('x', { title: 'Reminder', body: 'Reminder: call Bob' })).toBe('Reminder: call Bob');
  });

  it('uses whichever of title or body exists, and the body aliases', () => {
    expect(fallbackText('x', { title: 'Only a title' })).toBe('Only a title');
    expect(fallbackText('x', { message: 'Only a message' })).toBe('Only a message');
    expect(fallbackText('x', { text: '  Only text  ' })).toBe('Only text');
    expect(fallbackText('x', { subject: 'Subj', body: 'Body' })).toBe('Subj: Body');
  });

  it('does not use blank or non-string titles and bodies as the message', () => {
    expect(fallbackText('task.due', { title: '  ', body: 42, task_name: 'Write' })).toBe('Task due: body: 42, task name: Write');
  });

  it('otherwise humanises the event type and lists key fields, skipping ids and objects', () => {
    const text = fallbackText('task.due_soon', {
      task_id: 'abc',
      id: 'def',
      userId: 'ghi',
      taskName: 'Write report',
      due_at: new Date('2025-10-08T14:00:00Z'),
      details: { nested: true },
      urgent: true,
    });
    expect(text).toBe('Task due soon: task name: Write report, due at: 2025-10-08T14:00:00.000Z, urgent: true');
  });

  it('shows at most four fields', () => {
    expect(fallbackText('e', { a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe('E: a: 1, b: 2, c: 3, d: 4');
  });

  it('keeps a URL field whole so the link still works', () => {
    const url = `https://example.com/${'p'.repeat(120)}`;
    expect(fallbackText('report.ready', { url })).toBe(`Report ready: url: ${url}`);
  });

  it('shortens long field values', () => {
    const text = fallbackText('note.added', { note: 'n'.repeat(200) });
    expect(text).toBe(`Note added: note: ${'n'.repeat(77)}...`);
  });

  it('falls back to the event type alone, even with no payload', () => {
    expect(fallbackText('user.signup', {})).toBe('User signup');
    expect(fallbackText('user.signup', null)).toBe('User signup');
    expect(fallbackText('', undefined)).toBe('Notification');
  });

  it('cuts to maxLength with a GSM-7 ellipsis that does not force UCS-2', () => {
    const text = fallbackText('x', { body: 'word '.repeat(200) });
    expect([...text].length).toBeLessThanOrEqual(320);
    expect(text.endsWith('...')).toBe(true);
    expect(countSegments(text).encoding).toBe('GSM-7');
    expect(fallbackText('x', { body: 'abcdefghij' }, { maxLength: 8 })).toBe('abcde...');
  });
});
