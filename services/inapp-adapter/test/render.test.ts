import { describe, expect, it } from 'vitest';
import { inappTemplateKeyFor, renderItem, safeActionUrl } from '../src/render.ts';
import { loadInappAdapterConfig } from '../src/config.ts';

const template = { templateKey: 'task_reminder', title: 'Reminder: {{task_name}}', body: '{{task_name}} is due {{due_time}}.', actionUrl: '{{url}}', requiredVars: ['task_name'] };

describe('in-app rendering', () => {
  it('renders title, body and action URL from the template', () => {
    expect(renderItem(template, 'task.reminder', { task_name: 'Pay', due_time: 'today', url: 'https://app.example.com/t/1' }))
      .toEqual({ ok: true, content: { title: 'Reminder: Pay', body: 'Pay is due today.', actionUrl: 'https://app.example.com/t/1' } });
  });

  it('fails with the missing variables, and refuses an unsafe action URL', () => {
    expect(renderItem(template, 'task.reminder', { due_time: 'x', url: '/t/1' })).toMatchObject({ ok: false, code: 'template_missing_vars' });
    expect(renderItem(template, 'task.reminder', { task_name: 'a', due_time: 'b', url: 'javascript:alert(1)' })).toMatchObject({ ok: false, code: 'template_unsafe_url' });
  });

  it('without a template: the title or the humanised type, the message or the scalar fields, a safe url', () => {
    expect(renderItem(null, 'order.shipped', { message: 'On its way', url: '/orders/7' })).toEqual({ ok: true, content: { title: 'Order shipped', body: 'On its way', actionUrl: '/orders/7' } });
    expect(renderItem(null, 'x', { title: 'T', count: 3, nested: { a: 1 }, url: 'data:text/html,hi' })).toEqual({ ok: true, content: { title: 'T', body: 'count: 3', actionUrl: null } });
  });

  it('action URLs: http(s) and app paths only', () => {
    for (const ok of ['https://a.example/x', 'http://localhost:3000/', '/inbox/1']) expect(safeActionUrl(ok), ok).toBe(true);
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '//evil.example/x', 'ftp://a/b', '/a b', 'notaurl']) expect(safeActionUrl(bad), bad).toBe(false);
  });

  it('template keys follow the email rule', () => {
    expect(inappTemplateKeyFor('task.reminder')).toBe('task_reminder');
    expect(inappTemplateKeyFor('task.due')).toBe('task_reminder');
    expect(inappTemplateKeyFor('a-b.c')).toBe('a_b_c');
  });

  it('config: defaults and a bad value named', () => {
    expect(loadInappAdapterConfig({ DATABASE_URL: 'postgresql://x@localhost/db' }).INAPP_USER_CONCURRENCY).toBe(32);
    expect(() => loadInappAdapterConfig({ DATABASE_URL: 'postgresql://x@localhost/db', INAPP_USER_CONCURRENCY: '0' })).toThrow('INAPP_USER_CONCURRENCY');
  });
});
