/** Why a channel cannot be used for a recipient; recorded on the delivery as skip_reason. */
export type SkipReason = 'no_phone' | 'unverified' | 'opted_out' | 'channel_unavailable';

export interface SmsChannelInfo {
  phoneNumber: string | null;
  phoneVerified: boolean | null;
  optedOut: boolean | null;
}

export type Availability = { available: true; identifier: string } | { available: false; reason: SkipReason };

/** SMS is available only for a verified phone that has not opted out (seeds: get_user_sms_channel_info). */
export function smsAvailability(info: SmsChannelInfo): Availability {
  if (!info.phoneNumber) return { available: false, reason: 'no_phone' };
  if (info.optedOut) return { available: false, reason: 'opted_out' };
  if (!info.phoneVerified) return { available: false, reason: 'unverified' };
  return { available: true, identifier: info.phoneNumber };
}

export function channelAvailability(channel: string, enabledChannels: readonly string[], sms: SmsChannelInfo): Availability {
  if (!enabledChannels.includes(channel)) return { available: false, reason: 'channel_unavailable' };
  if (channel === 'sms') return smsAvailability(sms);
  return { available: true, identifier: '' };
}
