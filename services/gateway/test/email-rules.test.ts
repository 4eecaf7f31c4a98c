import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.ts';
import { channelSummaries } from '../src/email/channels.ts';
import { fromDomain } from '../src/email/verification-mail.ts';
import { DEFAULT_HEALTH_THRESHOLDS as T, emailLight } from '../src/health/verdict.ts';
import { formField } from '../src/routes/form-body.ts';
import { PAGE_CSP, renderPage } from '../src/routes/html-page.ts';

describe('gateway email config', () => {
  it('defaults: From, no upstream trust, 24 h links, no link secret (the dev one is used with a warning)', () => {
    expect(loadGatewayConfig({})).toMatchObject({ EMAIL_FROM: 'Notification Hub <hub@localhost>', EMAIL_TRUST_UPSTREAM_VERIFIED: false, EMAIL_VERIFICATION_TTL_MINUTES: 1440 });
    expect(loadGatewayConfig({}).HUB_LINK_SECRET).toBeUndefined();
    expect(loadGatewayConfig({ EMAIL_TRUST_UPSTREAM_VERIFIED: 'false' }).EMAIL_TRUST_UPSTREAM_VERIFIED).toBe(false);
    expect(loadGatewayConfig({ EMAIL_TRUST_UPSTREAM_VERIFIED: 'true' }).EMAIL_TRUST_UPSTREAM_VERIFIED).toBe(true);
  });

  it('refuses to boot in production without HUB_LINK_SECRET, and a short secret anywhere', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow('HUB_LINK_SECRET');
    expect(() => loadGatewayConfig({ HUB_LINK_SECRET: 'short' })).toThrow('HUB_LINK_SECRET');
    expect(loadGatewayConfig({ NODE_ENV: 'production', HUB_LINK_SECRET: 'a-long-enough-secret-value', INBOX_TOKEN_KEYS: `k1=${'s'.repeat(32)}` }).HUB_LINK_SECRET).toBe('a-long-enough-secret-value');
  });
});

describe('channel summaries (the router rule)', () => {
  it('gives each registry channel its reason in the router order', () => {
    expect(channelSummaries([
      { channel: 'sms', address: '+15005550006', verified: true, opted_out: true, undeliverable: false },
      { channel: 'email', address: 'a@example.com', verified: false, opted_out: false, undeliverable: true },
    ]).map((c) => [c.channel, c.available, c.reason])).toEqual([['sms', false, 'opted_out'], ['email', false, 'undeliverable'], ['inapp', false, 'no_inbox']]);
    expect(channelSummaries([]).map((c) => c.reason)).toEqual(['no_phone', 'no_email', 'no_inbox']);
  });
});

describe('form bodies of the link routes', () => {
  it('reads a field from urlencoded and multipart bodies', () => {
    expect(formField('application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click', 'List-Unsubscribe')).toBe('One-Click');
    const body = '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n';
    expect(formField('multipart/form-data; boundary=b', body, 'List-Unsubscribe')).toBe('One-Click');
    expect(formField('multipart/form-data; boundary=b', body, 'Other')).toBeNull();
    expect(formField('application/json', '{}', 'List-Unsubscribe')).toBeNull();
  });
});

describe('public pages', () => {
  it('escape their text and carry no script', () => {
    const html = renderPage({ title: '<b>', paragraphs: ['"x" & <script>'], form: { button: 'Go', fields: { a: '"><script>' } } });
    expect(html).not.toContain('<script>');
    expect(PAGE_CSP).not.toMatch(/script-src|unsafe-inline/);
  });

  it('take the Message-ID domain from the From', () => {
    expect(fromDomain('Hub <hub@Example.com>')).toBe('Example.com');
    expect(fromDomain('weird')).toBe('localhost');
  });
});

describe('email health verdict', () => {
  const t = { ...T, minSample: 10 };
  it('is green below the sample, else the worst of success, bounce and complaint rates', () => {
    expect(emailLight({ accepted: 5, failed: 4, bounced: 5, complained: 5 }, t)).toMatchObject({ status: 'green', sufficient: false });
    expect(emailLight({ accepted: 1000, failed: 0, bounced: 10, complained: 0 }, t).status).toBe('green');
    expect(emailLight({ accepted: 1000, failed: 0, bounced: 20, complained: 0 }, t).status).toBe('yellow');
    expect(emailLight({ accepted: 1000, failed: 0, bounced: 50, complained: 0 }, t).status).toBe('red');
    expect(emailLight({ accepted: 1000, failed: 0, bounced: 0, complained: 3 }, t).status).toBe('red');
    expect(emailLight({ accepted: 100, failed: 20, bounced: 0, complained: 0 }, t).status).toBe('red');
  });
});
