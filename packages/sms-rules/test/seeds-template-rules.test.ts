import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../src/templates.ts';
import { hasOptOutInstruction, withOptOutFooter } from '../src/footer.ts';
import { fallbackText } from '../src/fallback-text.ts';
import { findLinks } from '../src/links.ts';

describe("missing variables (missing: 'empty', the seeds' SMS rule)", () => {
  const seedTemplate = 'BuildOS: {{task_name}} is due {{due_time}}. {{task_context}}';

  it('an optional variable that is missing renders as empty, gaps tidied', () => {
    expect(renderTemplate(seedTemplate, { task_name: 'Write report', due_time: 'in 2 hours' }, { missing: 'empty' }))
      .toEqual({ ok: true, text: 'BuildOS: Write report is due in 2 hours.', usedVars: ['task_name', 'due_time', 'task_context'] });
    expect(renderTemplate('Hi {{name}}, your {{thing}} is ready', { thing: 'brief' }, { missing: 'empty' })).toMatchObject({ ok: true, text: 'Hi, your brief is ready' });
  });

  it('a required variable that is missing (or blank) still fails', () => {
    expect(renderTemplate(seedTemplate, { due_time: 'soon' }, { requiredVars: ['task_name'], missing: 'empty' }))
      .toEqual({ ok: false, error: { code: 'missing_vars', missing: ['task_name'] } });
    expect(renderTemplate(seedTemplate, { task_name: '  ' }, { requiredVars: ['task_name'], missing: 'empty' })).toMatchObject({ ok: false, error: { code: 'missing_vars' } });
  });

  it('the default stays strict (the email channel renders through it)', () => {
    expect(renderTemplate(seedTemplate, { task_name: 'x', due_time: 'y' })).toMatchObject({ ok: false, error: { code: 'missing_vars', missing: ['task_context'] } });
  });

  it('only optional variables, all missing: empty, not a blank message', () => {
    expect(renderTemplate('{{a}} {{b}}', {}, { missing: 'empty' })).toEqual({ ok: false, error: { code: 'empty' } });
  });
});

describe('existing opt-out wording is recognised (no second footer)', () => {
  it.each([
    'Welcome to Notification Hub! Your phone is verified. Reply HELP for help, STOP to unsubscribe.',
    'Reply STOP to unsubscribe',
    'Text STOP to opt out',
    'Send STOP to end messages',
    'Msg&data rates may apply. STOP to cancel',
    'reply with "STOP" anytime',
  ])('%s', (text) => {
    expect(hasOptOutInstruction(text)).toBe(true);
    expect(withOptOutFooter(text)).toBe(text);
  });

  it.each(['Stop by the office at 5', 'Your bus stop changed', 'Non-stop flights to unsubscribe from? no'])('not opt-out wording: %s', (text) => {
    expect(hasOptOutInstruction(text)).toBe(false);
  });
});

describe('the fallback cut keeps trailing links', () => {
  it('a long body with a link at the end: the words are cut, the link is whole', () => {
    const url = 'https://app.example.com/tasks/12345?ref=sms';
    const text = fallbackText('task.due', { title: 'Reminder', body: `${'word '.repeat(80)}see ${url}` });
    expect(text.length).toBeLessThanOrEqual(320);
    expect(text.endsWith(url)).toBe(true);
    expect(text).toContain('...');
    expect(findLinks(text).map((l) => l.url)).toEqual([url]);
  });

  it('several links after the cut are kept while they fit; a short text is untouched', () => {
    const a = 'https://a.example/1';
    const b = 'https://b.example/2';
    const text = fallbackText('x', { body: `${'lorem ipsum '.repeat(40)}${a} and ${b}` }, { maxLength: 120 });
    expect(text.length).toBeLessThanOrEqual(120);
    expect(findLinks(text).map((l) => l.url)).toEqual([a, b]);
    expect(fallbackText('x', { body: `short ${a}` })).toBe(`short ${a}`);
  });

  it('a link before the cut stays where it is', () => {
    const a = 'https://a.example/1';
    const text = fallbackText('x', { body: `${a} ${'lorem '.repeat(100)}` });
    expect(text.startsWith(a)).toBe(true);
    expect(text.endsWith('...')).toBe(true);
  });
});
