import { describe, expect, it } from 'vitest';
import type { SmsTemplate } from '@hub/db';
import { OPT_OUT_FOOTER } from '@hub/sms-rules';
import { composeMessage, type ComposeDeps } from '../src/compose.ts';

/**
 * max_length bounds the template's text as the recipient reads it: links already replaced by
 * short links (http://127.0.0.1:3000/l/<10 characters> = 34 characters), footer not counted.
 */
const BASE = 'http://127.0.0.1:3000';
const SHORT_LINK_LENGTH = `${BASE}/l/`.length + 10;

function template(messageTemplate: string, maxLength: number): SmsTemplate {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id: 't1', templateKey: 'doc_shared', name: 'Doc shared', description: null, messageTemplate, templateVars: {}, requiredVars: [],
    maxLength, isActive: true, usageCount: 0, lastUsedAt: null, createdAt: at, updatedAt: at,
  };
}

function deps(t: SmsTemplate | null, footer: ComposeDeps['settings']['footer'] = 'never'): ComposeDeps {
  return {
    hot: { sentToPhoneBefore: async () => false },
    templates: { get: async (key) => (t && key === t.templateKey ? t : null) },
    settings: { publicBaseUrl: BASE, footer },
    randomBytes: (n) => new Uint8Array(n).map((_, i) => i),
  };
}

// composeMessage reads the event's type and payload and the user's external id only.
const delivery = (payload: Record<string, unknown>) =>
  ({ event: { eventType: 'doc.shared', payload }, user: { externalId: 'u1' } }) as unknown as Parameters<typeof composeMessage>[1]['delivery'];
const compose = (d: ComposeDeps, payload: Record<string, unknown>) => composeMessage(d, { delivery: delivery(payload), phoneNumber: '+15005550006' });

describe('template max_length is checked on the text with links shortened', () => {
  const longUrl = `https://docs.example.com/d/${'x'.repeat(200)}?signature=${'s'.repeat(60)}`;

  it('a long URL that makes the rendered text too long fits once shortened', async () => {
    const result = await compose(deps(template('Read {{url}}', 60)), { url: longUrl });
    expect(result).toMatchObject({ ok: true, links: [{ url: longUrl }] });
    if (!result.ok) throw new Error('unreachable');
    expect(result.text).toMatch(new RegExp(`^Read ${BASE}/l/[0-9A-Za-z]{10}$`));
    expect(result.text).toHaveLength(5 + SHORT_LINK_LENGTH);
  });

  it('a short URL that grows into a short link past max_length fails template_too_long, with the length sent', async () => {
    const result = await compose(deps(template('Go {{url}}', 30)), { url: 'http://x.co' });
    expect(result).toEqual({ ok: false, code: 'template_too_long', message: `template doc_shared: rendered text (links shortened) is ${3 + SHORT_LINK_LENGTH} characters, max 30` });
  });

  it('the boundary: exactly max_length is sent, one character more is not', async () => {
    const exact = 3 + SHORT_LINK_LENGTH;
    expect(await compose(deps(template('Go {{url}}', exact)), { url: 'http://x.co' })).toMatchObject({ ok: true });
    expect(await compose(deps(template('Go! {{url}}', exact)), { url: 'http://x.co' })).toMatchObject({ ok: false, code: 'template_too_long' });
  });

  it('counts code points, not UTF-16 units (an emoji is one character)', async () => {
    expect(await compose(deps(template('🎉🎉🎉 {{name}}', 5)), { name: 'a' })).toMatchObject({ ok: true, text: '🎉🎉🎉 a' });
    expect(await compose(deps(template('🎉🎉🎉 {{name}}', 4)), { name: 'a' })).toMatchObject({ ok: false, code: 'template_too_long' });
  });

  it('the opt-out footer is not counted: a text at max_length still goes, footer and its segment included', async () => {
    const text = 'A'.repeat(150);
    const result = await compose(deps(template(text, 150), 'always'), {});
    expect(result).toMatchObject({ ok: true, text: `${text}\n${OPT_OUT_FOOTER}`, segments: 2, encoding: 'GSM-7' });
  });

  it('the readable fallback (no template) has no max_length', async () => {
    const result = await compose(deps(null), { url: longUrl, note: 'n'.repeat(300) });
    expect(result).toMatchObject({ ok: true, templateId: null, links: [{ url: longUrl }] });
  });
});
