import { describe, expect, it } from 'vitest';
import { domainOf, loadEmailAdapterConfig } from '../src/config.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

describe('email-adapter configuration', () => {
  it('takes the Message-ID domain from EMAIL_FROM unless set', () => {
    expect(loadEmailAdapterConfig({ ...base, EMAIL_FROM: 'Hub <Hub@Example.COM>' }).messageIdDomain).toBe('example.com');
    expect(loadEmailAdapterConfig({ ...base, EMAIL_FROM: 'hub@a.test', EMAIL_MESSAGE_ID_DOMAIN: 'mail.b.test' }).messageIdDomain).toBe('mail.b.test');
    expect(domainOf('no address')).toBeNull();
  });

  it('signs links with the gateway\'s development secret when unset, and refuses to boot without one in production', () => {
    const dev = loadEmailAdapterConfig(base);
    expect(dev.linkSecretIsDev).toBe(true);
    expect(dev.HUB_LINK_SECRET).toBe('hub-dev-link-secret-do-not-use-in-production');
    expect(() => loadEmailAdapterConfig({ ...base, NODE_ENV: 'production' })).toThrow(/HUB_LINK_SECRET/);
    expect(loadEmailAdapterConfig({ ...base, NODE_ENV: 'production', HUB_LINK_SECRET: 'x'.repeat(32) }).linkSecretIsDev).toBe(false);
  });

  it('names a bad variable', () => {
    expect(() => loadEmailAdapterConfig({ ...base, EMAIL_UNKNOWN_OUTCOME: 'maybe' })).toThrow(/EMAIL_UNKNOWN_OUTCOME/);
  });
});
