import { describe, expect, it } from 'vitest';
import { characterCount, extractTemplateVars, renderTemplate } from '../src/templates.ts';

const TASK = 'BuildOS: {{task_name}} is due {{due_time}}. {{task_context}}';

describe('extractTemplateVars', () => {
  it('lists distinct names in order of first appearance, with or without inner spaces', () => {
    expect(extractTemplateVars('{{b}} {{ a }} {{b}} {{  c  }}')).toEqual(['b', 'a', 'c']);
  });

  it('accepts dotted paths and ignores what is not a placeholder', () => {
    expect(extractTemplateVars('{{task.name}} {{}} {{ 1bad }} {{a b}} {single} {{ok_1}} {{x.}}')).toEqual(['task.name', 'ok_1']);
  });

  it('returns nothing for a template without placeholders', () => {
    expect(extractTemplateVars('Hello there')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('renders the seed example', () => {
    const result = renderTemplate(TASK, { task_name: 'Write report', due_time: 'in 2 hours', task_context: 'Q4 Planning' });
    expect(result).toEqual({
      ok: true,
      text: 'BuildOS: Write report is due in 2 hours. Q4 Planning',
      usedVars: ['task_name', 'due_time', 'task_context'],
    });
  });

  it('allows spaces inside the braces', () => {
    expect(renderTemplate('Hi {{ name }}!', { name: 'Ada' })).toMatchObject({ ok: true, text: 'Hi Ada!' });
  });

  it('reports variables the template references but the caller did not supply', () => {
    expect(renderTemplate(TASK, { task_name: 'Write report' })).toEqual({
      ok: false,
      error: { code: 'missing_vars', missing: ['due_time', 'task_context'] },
    });
  });

  it('reports required variables even when the template does not reference them', () => {
    expect(renderTemplate('Hello', {}, { requiredVars: ['user_name'] })).toEqual({
      ok: false,
      error: { code: 'missing_vars', missing: ['user_name'] },
    });
  });

  it('never leaves an empty hole for a required variable', () => {
    expect(renderTemplate('Hi {{name}}', { name: '   ' }, { requiredVars: ['name'] })).toEqual({
      ok: false,
      error: { code: 'missing_vars', missing: ['name'] },
    });
  });

  it('renders an explicitly empty optional variable as nothing', () => {
    expect(renderTemplate('Due {{when}}. {{context}}', { when: 'today', context: '' })).toMatchObject({ ok: true, text: 'Due today.' });
  });

  it('lists each missing variable once, referenced ones first', () => {
    const result = renderTemplate('{{a}} {{b}} {{a}}', {}, { requiredVars: ['c', 'a'] });
    expect(result).toEqual({ ok: false, error: { code: 'missing_vars', missing: ['a', 'b', 'c'] } });
  });

  it('stringifies numbers, booleans, bigints, dates (ISO) and arrays', () => {
    const result = renderTemplate('{{n}} {{f}} {{b}} {{big}} {{d}} {{list}}', {
      n: 42,
      f: 0,
      b: false,
      big: 10n,
      d: new Date('2025-10-08T14:00:00Z'),
      list: ['a', 1],
    });
    expect(result).toMatchObject({ ok: true, text: '42 0 false 10 2025-10-08T14:00:00.000Z a, 1' });
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an invalid Date', new Date('nope')],
    ['a plain object', { a: 1 }],
    ['an array with an object', ['a', { b: 2 }]],
    ['a function', () => 'x'],
  ])('treats %s as missing, never as text', (_label, value) => {
    expect(renderTemplate('Value: {{v}}', { v: value })).toEqual({ ok: false, error: { code: 'missing_vars', missing: ['v'] } });
  });

  it('reads dotted paths through nested objects, preferring an exact key', () => {
    expect(renderTemplate('{{task.name}}', { task: { name: 'Nested' } })).toMatchObject({ ok: true, text: 'Nested' });
    expect(renderTemplate('{{task.name}}', { 'task.name': 'Flat', task: { name: 'Nested' } })).toMatchObject({ ok: true, text: 'Flat' });
    expect(renderTemplate('{{task.name}}', { task: 'not an object' })).toMatchObject({ ok: false, error: { code: 'missing_vars' } });
  });

  it('never reads the prototype chain', () => {
    expect(renderTemplate('{{constructor}} {{toString}}', {})).toEqual({
      ok: false,
      error: { code: 'missing_vars', missing: ['constructor', 'toString'] },
    });
    expect(renderTemplate('{{a.constructor.name}}', { a: {} })).toMatchObject({ ok: false });
  });

  it('does not expand placeholders inside values (single pass)', () => {
    expect(renderTemplate('Hi {{name}}', { name: '{{secret}}', secret: 'leaked' })).toMatchObject({ ok: true, text: 'Hi {{secret}}' });
  });

  it('treats $-patterns in values literally', () => {
    expect(renderTemplate('Price: {{p}}', { p: "$& $1 $$ $'" })).toMatchObject({ ok: true, text: "Price: $& $1 $$ $'" });
  });

  it('trims the result and rejects a blank one', () => {
    expect(renderTemplate('  {{a}}  ', { a: 'x' })).toMatchObject({ ok: true, text: 'x' });
    expect(renderTemplate('{{a}}', { a: '' })).toEqual({ ok: false, error: { code: 'empty' } });
    expect(renderTemplate('', {})).toEqual({ ok: false, error: { code: 'empty' } });
    expect(renderTemplate('  \n ', {})).toEqual({ ok: false, error: { code: 'empty' } });
  });

  it('enforces maxLength in characters', () => {
    expect(renderTemplate('{{a}}', { a: 'x'.repeat(160) }, { maxLength: 160 })).toMatchObject({ ok: true });
    expect(renderTemplate('{{a}}', { a: 'x'.repeat(161) }, { maxLength: 160 })).toEqual({
      ok: false,
      error: { code: 'too_long', length: 161, maxLength: 160 },
    });
  });

  it('counts an emoji as one character for maxLength', () => {
    expect(renderTemplate('{{a}}', { a: '😀'.repeat(10) }, { maxLength: 10 })).toMatchObject({ ok: true });
    expect(renderTemplate('{{a}}', { a: '😀'.repeat(11) }, { maxLength: 10 })).toMatchObject({ ok: false, error: { code: 'too_long', length: 11 } });
  });

  it('has no length limit when maxLength is null or absent', () => {
    expect(renderTemplate('{{a}}', { a: 'x'.repeat(5000) }, { maxLength: null })).toMatchObject({ ok: true });
    expect(renderTemplate('{{a}}', { a: 'x'.repeat(5000) })).toMatchObject({ ok: true });
  });

  it('reports missing variables before emptiness or length', () => {
    expect(renderTemplate('{{a}}', {}, { maxLength: 0 })).toMatchObject({ ok: false, error: { code: 'missing_vars' } });
  });
});

describe('characterCount', () => {
  it('counts code points', () => {
    expect(characterCount('abc')).toBe(3);
    expect(characterCount('😀a')).toBe(2);
    expect(characterCount('')).toBe(0);
  });
});
