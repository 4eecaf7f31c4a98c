import { describe, expect, it } from 'vitest';
import { channelAvailability, type ChannelAddress } from '../src/availability.ts';

const ok = (address: string, over: Partial<ChannelAddress> = {}): ChannelAddress => ({ address, verified: true, opted_out: false, undeliverable: false, ...over });
const ALL = ['sms', 'email'];

describe('channel availability (one rule for every channel of the registry)', () => {
  it('SMS: a verified phone that has not opted out', () => {
    expect(channelAvailability('sms', ALL, { sms: ok('+15005550006') })).toEqual({ available: true, identifier: '+15005550006' });
    expect(channelAvailability('sms', ALL, null)).toEqual({ available: false, reason: 'no_phone' });
    expect(channelAvailability('sms', ALL, { sms: ok('+15005550006', { verified: false }) })).toEqual({ available: false, reason: 'unverified' });
    expect(channelAvailability('sms', ALL, { sms: ok('+15005550006', { opted_out: true, verified: false }) })).toEqual({ available: false, reason: 'opted_out' });
  });

  it('email: a verified address, not opted out, not hard-bounced', () => {
    expect(channelAvailability('email', ALL, { email: ok('a@example.com') })).toEqual({ available: true, identifier: 'a@example.com' });
    expect(channelAvailability('email', ALL, { sms: ok('+15005550006') })).toEqual({ available: false, reason: 'no_email' });
    expect(channelAvailability('email', ALL, { email: ok('a@example.com', { undeliverable: true }) })).toEqual({ available: false, reason: 'undeliverable' });
    expect(channelAvailability('email', ALL, { email: ok('a@example.com', { opted_out: true, undeliverable: true }) })).toEqual({ available: false, reason: 'opted_out' });
    expect(channelAvailability('email', ALL, { email: ok('a@example.com', { verified: false }) })).toEqual({ available: false, reason: 'unverified' });
  });

  it('a channel without an adapter in this deployment, or unknown to the registry, is unavailable', () => {
    expect(channelAvailability('email', ['sms'], { email: ok('a@example.com') })).toEqual({ available: false, reason: 'channel_unavailable' });
    expect(channelAvailability('push', ['sms', 'push'], null)).toEqual({ available: false, reason: 'channel_unavailable' });
  });
});
