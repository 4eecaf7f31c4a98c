import { CHANNEL_NAMES, channelDefinition } from '@hub/contracts';

/**
 * The router's channel availability rule (services/router/src/availability.ts), restated for
 * the recipient view: the gateway may not import a service. Same order of reasons:
 * channel_unavailable, the channel's no-address reason (no_phone, no_email), opted_out,
 * undeliverable, unverified. Both read the view user_channel_addresses.
 */
export interface ChannelAddressRow {
  channel: string;
  address: string | null;
  verified: boolean;
  opted_out: boolean;
  undeliverable: boolean;
}

export interface ChannelSummary {
  channel: string;
  address: string | null;
  verified: boolean;
  available: boolean;
  /** Why not available (the skip reason a delivery would get), null when available. */
  reason: string | null;
}

export function channelSummary(channel: string, enabledChannels: readonly string[], row: ChannelAddressRow | undefined): ChannelSummary {
  const base = { channel, address: row?.address ?? null, verified: row?.verified ?? false };
  const definition = channelDefinition(channel);
  if (!definition || !enabledChannels.includes(channel)) return { ...base, available: false, reason: 'channel_unavailable' };
  if (!row || !row.address) return { ...base, available: false, reason: definition.noAddressReason };
  if (row.opted_out) return { ...base, available: false, reason: 'opted_out' };
  if (row.undeliverable) return { ...base, available: false, reason: 'undeliverable' };
  if (!row.verified) return { ...base, available: false, reason: 'unverified' };
  return { ...base, available: true, reason: null };
}

/** One summary per registry channel, in registry order. */
export function channelSummaries(rows: readonly ChannelAddressRow[], enabledChannels: readonly string[] = CHANNEL_NAMES): ChannelSummary[] {
  return CHANNEL_NAMES.map((c) => channelSummary(c, enabledChannels, rows.find((r) => r.channel === c)));
}
