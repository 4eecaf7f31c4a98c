import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maskAddress } from '../src/mask.ts';
import { createLogger } from '../src/index.ts';

describe('maskAddress', () => {
  it('masks phone numbers, keeping the head and the last two digits', () => {
    expect(maskAddress('+14155550123')).toBe('+1415•••••23');
    expect(maskAddress('whatsapp:+447700900123')).toBe('whatsapp:+4477••••••23');
    expect(maskAddress('(415) 555-0123')).toBe('4155••••23');
    expect(maskAddress('+15005550006')).not.toContain('5550006');
  });
  it('masks email addresses, keeping the first character and the domain', () => {
    expect(maskAddress('jane.doe@example.com')).toBe('j•••@example.com');
  });
  it('leaves values that are not addresses alone', () => {
    expect(maskAddress('email')).toBe('email');
    expect(maskAddress('SM0123456789abcdef')).toBe('SM0123456789abcdef');
    expect(maskAddress('2026-12-04')).toBe('2026-12-04');
    expect(maskAddress(42)).toBe(42);
    expect(maskAddress(null)).toBe(null);
  });
});

describe('createLogger', () => {
  it('never writes a whole phone number or email address in the address fields, and removes secrets', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const logger = createLogger({ service: 't', level: 'info', pretty: false, destination: sink });
    logger.info({ phone: '+14155550123', sms: { from: '+14155550199', to: 'email' }, emailAddress: 'jane@example.com', authToken: 'secret' }, 'x');
    const line = lines.join('');
    expect(line).not.toContain('5550123');
    expect(line).not.toContain('5550199');
    expect(line).not.toContain('jane@');
    expect(line).not.toContain('secret');
    expect(line).toContain('+1415•••••23');
    expect(line).toContain('"to":"email"');
  });
});
