import { describe, expect, it } from 'vitest';
import { fallbackEmail, humanize, withUnsubscribeFooter } from '../src/index.ts';

describe('fallbackEmail', () => {
  it('subject from the event type; the scalar fields listed, escaped; nested values left out', async () => {
    const r = await fallbackEmail('task.reminder', {
      taskName: 'Pay <rent>', due_at: new Date('2026-01-02T03:04:05Z'), count: 3, urgent: true, nested: { a: 1 }, list: [1, 2], nothing: null, blank: ' ',
    });
    expect(r.subject).toBe('Task reminder');
    expect(r.html).toMatch(/^<!doctype html>/i);
    expect(r.html).toContain('<strong>Task name</strong></td><td style="padding:4px 12px 4px 0;vertical-align:top;">Pay &lt;rent&gt;</td>');
    expect(r.html).toContain('2026-01-02T03:04:05.000Z');
    expect(r.html).not.toContain('Nested');
    expect(r.html).not.toContain('%%HUB_');
    expect(r.text).toBe('Task reminder\n\nTask name: Pay <rent>\nDue at: 2026-01-02T03:04:05.000Z\nCount: 3\nUrgent: true');
  });

  it('an event type cannot inject markup or headers', async () => {
    const r = await fallbackEmail('x<script>\r\nBcc: a@b.c', {});
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.html).not.toContain('<script>');
    expect((await fallbackEmail('', {})).subject).toBe('Notification');
  });

  it.each([['task.reminder', 'Task reminder'], ['dueAt', 'Due at'], ['user_password-reset', 'User password reset'], ['', '']])('humanize(%j) = %j', (k, v) => {
    expect(humanize(k)).toBe(v);
  });
});

describe('withUnsubscribeFooter', () => {
  const url = 'https://hub.example/u/abc?x=1&y="2"';

  it('adds a visible, escaped link before </body> and a line to the text', () => {
    const r = withUnsubscribeFooter({ html: '<html><body><p>Hi</p></body></html>', text: 'Hi\n', subject: 'S' }, url);
    expect(r.html).toMatch(/<p>Hi<\/p><div[^>]*>.*<a href="https:\/\/hub\.example\/u\/abc\?x=1&amp;y=%222%22"[^>]*>Unsubscribe<\/a><\/div><\/body><\/html>$/);
    expect(r.text).toBe('Hi\n\n--\nUnsubscribe: https://hub.example/u/abc?x=1&y=%222%22\n');
    expect(r.subject).toBe('S');
  });

  it('appends when there is no </body>', () => {
    expect(withUnsubscribeFooter({ html: '<p>Hi</p>', text: 'Hi' }, url).html).toMatch(/^<p>Hi<\/p><div/);
  });

  it('refuses a URL that is not http(s)/mailto', () => {
    expect(() => withUnsubscribeFooter({ html: '', text: '' }, 'javascript:alert(1)')).toThrow(TypeError);
  });
});
