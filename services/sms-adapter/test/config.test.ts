import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hub/config';
import { loadSmsAdapterConfig } from '../src/config.ts';

/** The variables the adapter requires, and nothing else (no process.env). */
const required = { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'token', STATUS_CALLBACK_BASE_URL: 'http://127.0.0.1:3002' };
const load = (env: Record<string, string>) => loadSmsAdapterConfig({ ...required, ...env });

describe('SMS_ALLOWED_COUNTRIES defaults to the country of the sender', () => {
  it.each([
    ['+15005550006', 'US'], // Twilio's test number
    ['+14155552671', 'US'],
    ['+14165550123', 'CA'], // Toronto: +1 is not only the US
    ['+18765550123', 'JM'],
    ['+447700900123', 'GB'],
    ['+33612345678', 'FR'],
    [' +61 412 345 678 ', 'AU'],
  ])('TWILIO_FROM_NUMBER %s allows %s only', (from, country) => {
    const config = load({ TWILIO_FROM_NUMBER: from });
    expect(config.SMS_ALLOWED_COUNTRIES).toEqual([country]);
    expect(config.allowedCountriesFrom).toBe('TWILIO_FROM_NUMBER');
  });

  it('a +1 number no region claims (555) takes SMS_DEFAULT_COUNTRY when it shares the calling code', () => {
    expect(load({ TWILIO_FROM_NUMBER: '+15551234567' }).SMS_ALLOWED_COUNTRIES).toEqual(['US']);
    expect(load({ TWILIO_FROM_NUMBER: '+15551234567', SMS_DEFAULT_COUNTRY: 'CA' }).SMS_ALLOWED_COUNTRIES).toEqual(['CA']);
    // Another calling code: the sender's country wins over the home country.
    expect(load({ TWILIO_FROM_NUMBER: '+447700900123', SMS_DEFAULT_COUNTRY: 'CA' }).SMS_ALLOWED_COUNTRIES).toEqual(['GB']);
  });

  it.each([
    ['no sender (a Messaging Service alone)', { TWILIO_MESSAGING_SERVICE_SID: 'MG1' }],
    ['a short code', { TWILIO_FROM_NUMBER: '12345' }],
    ['an alphanumeric sender ID', { TWILIO_FROM_NUMBER: 'HubAlerts' }],
    ['a non-geographic number', { TWILIO_FROM_NUMBER: '+80012345678' }],
    ['an unparseable number', { TWILIO_FROM_NUMBER: '+999' }],
  ])('%s falls back to SMS_DEFAULT_COUNTRY (default US)', (_what, env) => {
    expect(load(env)).toMatchObject({ SMS_ALLOWED_COUNTRIES: ['US'], allowedCountriesFrom: 'SMS_DEFAULT_COUNTRY' });
    expect(load({ ...env, SMS_DEFAULT_COUNTRY: 'gb' })).toMatchObject({ SMS_ALLOWED_COUNTRIES: ['GB'], SMS_DEFAULT_COUNTRY: 'GB', allowedCountriesFrom: 'SMS_DEFAULT_COUNTRY' });
  });

  it('an explicit SMS_ALLOWED_COUNTRIES overrides the sender', () => {
    expect(load({ TWILIO_FROM_NUMBER: '+447700900123', SMS_ALLOWED_COUNTRIES: 'US, CA' })).toMatchObject({ SMS_ALLOWED_COUNTRIES: ['US', 'CA'], allowedCountriesFrom: 'SMS_ALLOWED_COUNTRIES' });
    expect(load({ TWILIO_FROM_NUMBER: '+15005550006', SMS_ALLOWED_COUNTRIES: '*' }).SMS_ALLOWED_COUNTRIES).toEqual(['*']);
  });

  it('refuses to start with an SMS_DEFAULT_COUNTRY that is no country, naming the variable', () => {
    for (const bad of ['XX', 'USA', '']) {
      let error: unknown;
      try {
        load({ SMS_DEFAULT_COUNTRY: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['SMS_DEFAULT_COUNTRY']);
    }
  });
});
