import { describe, expect, it } from 'vitest';
import { channelAvailability, smsAvailability } from '../src/availability.ts';

describe('channel availability', () => {
  it('needs a verified, not opted-out phone for sms', () => {
    expect(smsAvailability({ phoneNumber: '+15005550006', phoneVerified: true, optedOut: false })).toEqual({ available: true, identifier: '+15005550006' });
    expect(smsAvailability({ phoneNumber: null, phoneVerified: null, optedOut: null })).toEqual({ available: false, reason: 'no_phone' });
    expect(smsAvailability({ phoneNumber: '+15005550006', phoneVerified: false, optedOut: false })).toEqual({ available: false, reason: 'unverified' });
    expect(smsAvailability({ phoneNumber: '+15005550006', phoneVerified: true, optedOut: true })).toEqual({ available: false, reason: 'opted_out' });
  });
  it('records channels without an adapter as unavailable', () => {
    expect(channelAvailability('email', ['sms'], { phoneNumber: null, phoneVerified: null, optedOut: null })).toEqual({ available: false, reason: 'channel_unavailable' });
  });
});
