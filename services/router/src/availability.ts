import { channelDefinition } from '@hub/contracts';

/** Why a channel cannot be used for a recipient; recorded on the delivery as skip_reason. */
export type SkipReason = string;

/** A user's address on one channel, as the view user_channel_addresses gives it. */
export interface ChannelAddress {
  address: string | null;
  verified: boolean;
  opted_out: boolean;
  undeliverable: boolean;
}

/** Addresses by channel name (a user without a row for a channel has no address on it). */
export type ChannelAddresses = Readonly<Record<string, ChannelAddress>>;

export type Availability = { available: true; identifier: string } | { available: false; reason: SkipReason };

/**
 * Whether a channel can be used for a recipient, the same rule for every channel (seeds:
 * get_user_sms_channel_info): the channel must have an adapter in this deployment, the user
 * an address on it, not opted out of the channel, not known undeliverable (a hard bounce),
 * and verified. The reasons, in that order: channel_unavailable, the channel's no-address
 * reason (no_phone, no_email), opted_out, undeliverable, unverified.
 */
export function channelAvailability(channel: string, enabledChannels: readonly string[], addresses: ChannelAddresses | null): Availability {
  const definition = channelDefinition(channel);
  if (!definition || !enabledChannels.includes(channel)) return { available: false, reason: 'channel_unavailable' };
  const entry = addresses?.[channel];
  if (!entry || !entry.address) return { available: false, reason: definition.noAddressReason };
  if (entry.opted_out) return { available: false, reason: 'opted_out' };
  if (entry.undeliverable) return { available: false, reason: 'undeliverable' };
  if (!entry.verified) return { available: false, reason: 'unverified' };
  return { available: true, identifier: entry.address };
}
