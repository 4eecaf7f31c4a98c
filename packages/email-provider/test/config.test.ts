import { loadConfig, z } from '@hub/config';
import { describe, expect, it } from 'vitest';
import { smtpEnv, smtpOptionsFromEnv, smtpTransportOptions } from '../src/index.ts';

const schema = z.object(smtpEnv);

describe('smtpEnv / smtpOptionsFromEnv', () => {
  it('defaults: the local sandbox relay, opportunistic STARTTLS, verified TLS 1.2+, 5 × 100 pool, 50/s, 15 s', () => {
    const options = smtpOptionsFromEnv(loadConfig(schema, {}));
    expect(options).toEqual({
      host: '127.0.0.1', port: 2525, secure: false, startTls: 'opportunistic',
      tls: { rejectUnauthorized: true, servername: undefined, minVersion: 'TLSv1.2', ca: undefined },
      auth: undefined, maxConnections: 5, maxMessages: 100, ratePerSecond: 50, timeoutMs: 15_000,
    });
  });

  it('reads booleans as words ("false" is false), the CA file once, and credentials together', () => {
    const read: string[] = [];
    const config = loadConfig(schema, {
      SMTP_HOST: 'smtp.sendgrid.net', SMTP_PORT: '465', SMTP_SECURE: 'true', SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
      SMTP_TLS_SERVERNAME: 'relay.example', SMTP_TLS_MIN_VERSION: 'TLSv1.3', SMTP_TLS_CA_FILE: '/etc/ca.pem',
      SMTP_USER: 'apikey', SMTP_PASS: 'SG.x', SMTP_RATE_PER_SECOND: '0', SMTP_TIMEOUT_MS: '5000', SMTP_STARTTLS: 'required',
    });
    const options = smtpOptionsFromEnv(config, (p) => {
      read.push(p);
      return Buffer.from('PEM');
    });
    expect(read).toEqual(['/etc/ca.pem']);
    expect(options).toMatchObject({
      host: 'smtp.sendgrid.net', port: 465, secure: true, startTls: 'required', auth: { user: 'apikey', pass: 'SG.x' }, ratePerSecond: 0, timeoutMs: 5000,
      tls: { rejectUnauthorized: false, servername: 'relay.example', minVersion: 'TLSv1.3', ca: Buffer.from('PEM') },
    });
  });

  it('fails naming the variable', () => {
    expect(() => loadConfig(schema, { SMTP_STARTTLS: 'maybe' })).toThrow(/SMTP_STARTTLS/);
    expect(() => loadConfig(schema, { SMTP_SECURE: 'sometimes' })).toThrow(/SMTP_SECURE/);
    expect(() => loadConfig(schema, { SMTP_PORT: '70000' })).toThrow(/SMTP_PORT/);
    expect(() => smtpOptionsFromEnv(loadConfig(schema, { SMTP_USER: 'u' }))).toThrow(/SMTP_USER and SMTP_PASS/);
    expect(() => smtpOptionsFromEnv(loadConfig(schema, { SMTP_TLS_CA_FILE: '/nope/ca.pem' }), () => { throw new Error('ENOENT'); })).toThrow(/SMTP_TLS_CA_FILE/);
  });
});

describe('smtpTransportOptions (what nodemailer gets)', () => {
  const base = { host: 'h', port: 25, secure: false } as const;

  it.each([
    ['required', { requireTLS: true, ignoreTLS: false }],
    ['opportunistic', { requireTLS: false, ignoreTLS: false }],
    ['never', { requireTLS: false, ignoreTLS: true }],
  ] as const)('STARTTLS %s → %j', (startTls, expected) => {
    expect(smtpTransportOptions({ ...base, startTls })).toMatchObject(expected);
  });

  it('implicit TLS ignores the STARTTLS policy', () => {
    expect(smtpTransportOptions({ ...base, secure: true, startTls: 'required' })).toMatchObject({ secure: true, requireTLS: false, ignoreTLS: false });
  });

  it('a pool with the per-sender rate limit over 1 s, one timeout for every wait, no file or URL access', () => {
    const t = smtpTransportOptions({ ...base, startTls: 'opportunistic', maxConnections: 3, maxMessages: 7, ratePerSecond: 20, timeoutMs: 1234, auth: { user: 'u', pass: 'p' } });
    expect(t).toMatchObject({
      pool: true, maxConnections: 3, maxMessages: 7, rateDelta: 1000, rateLimit: 20,
      connectionTimeout: 1234, greetingTimeout: 1234, socketTimeout: 1234, dnsTimeout: 1234,
      auth: { user: 'u', pass: 'p' }, disableFileAccess: true, disableUrlAccess: true,
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    });
    expect(smtpTransportOptions({ ...base, startTls: 'never', ratePerSecond: 0 })).not.toHaveProperty('rateLimit');
  });
});
