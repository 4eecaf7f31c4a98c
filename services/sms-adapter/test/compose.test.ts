import { describe, expect, it } from 'vitest';
import { reuse } from '../src/compose.ts';

describe('a retry reuses the first attempt', () => {
  it('keeps the stored text, template, segments and encoding, and records no new links', () => {
    const stored = {
      messageContent: 'Reminder: read http://127.0.0.1:3000/l/AbCdEfGhIj is due today.\nReply STOP to unsubscribe',
      templateId: 't1', templateKey: 'task_reminder', templateVars: { task_name: 'read https://example.com/doc' }, segments: 1, encoding: 'GSM-7',
    };
    expect(reuse(stored)).toEqual({
      ok: true, text: stored.messageContent, templateId: 't1', templateKey: 'task_reminder', vars: stored.templateVars, segments: 1, encoding: 'GSM-7', links: [],
    });
    expect(reuse({ ...stored, templateVars: null, templateId: null, templateKey: null })).toMatchObject({ vars: {}, templateId: null, templateKey: null });
  });
});
