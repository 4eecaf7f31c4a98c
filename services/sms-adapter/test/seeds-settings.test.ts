import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hub/config';
import { loadSmsAdapterConfig } from '../src/config.ts';
import { adhocSend } from '../src/compose.ts';

const required = { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'token', STATUS_CALLBACK_BASE_URL: 'http://127.0.0.1:3002' };

describe('per-user rate limit settings', () => {
  it("default to the seeds' 10 per minute and 100 per hour, deferring", () => {
    const c = loadSmsAdapterConfig(required);
    expect([c.SMS_RATE_LIMIT_PER_MINUTE, c.SMS_RATE_LIMIT_PER_HOUR, c.SMS_RATE_LIMIT_ACTION]).toEqual([10, 100, 'defer']);
  });

  it('take 0 (off), skip, and refuse nonsense naming the variable', () => {
    const c = loadSmsAdapterConfig({ ...required, SMS_RATE_LIMIT_PER_MINUTE: '0', SMS_RATE_LIMIT_ACTION: 'skip' });
    expect([c.SMS_RATE_LIMIT_PER_MINUTE, c.SMS_RATE_LIMIT_ACTION]).toEqual([0, 'skip']);
    expect(() => loadSmsAdapterConfig({ ...required, SMS_RATE_LIMIT_PER_HOUR: '-1' })).toThrow(ConfigError);
    expect(() => loadSmsAdapterConfig({ ...required, SMS_RATE_LIMIT_ACTION: 'drop' })).toThrow(/SMS_RATE_LIMIT_ACTION/);
  });
});

describe('adhocSend (the payload of POST /v1/sends)', () => {
  it('reads text, or a template key with vars, and the raw-number flag of sms.send events only', () => {
    expect(adhocSend('sms.send', { send: { text: 'hi', rawNumber: true } })).toEqual({ text: 'hi', templateKey: null, vars: {}, rawNumber: true });
    expect(adhocSend('sms.send', { send: { templateKey: 'urgent_task', vars: { a: 1 }, rawNumber: false } })).toEqual({ templateKey: 'urgent_task', vars: { a: 1 }, rawNumber: false });
    expect(adhocSend('task.reminder', { send: { text: 'hi', rawNumber: true } })).toBeNull();
    expect(adhocSend('sms.send', {})).toBeNull();
    expect(adhocSend('sms.send', { send: { text: 'x', rawNumber: 'yes' } })?.rawNumber).toBe(false);
  });
});
