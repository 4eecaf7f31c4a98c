/**
 * The channel registry: every channel the hub can deliver on, and what the shared parts of
 * the hub (router, gateway, scheduler, metrics) need to know about it. Adding a channel is
 * one entry here, one adapter service (services/<channel>-adapter) consuming
 * `notify.deliveries.<channel>.v1`, an address table joined into the view
 * user_channel_addresses, and its templates — see docs/channels.md.
 */

export interface ChannelDefinition {
  name: string;
  /** What an address of this channel is (shown in the API and the docs). */
  addressKind: 'phone' | 'email' | 'user';
  /** Topics the channel's adapter consumes (its deliveries first). */
  topics: readonly string[];
  /** The skip reason recorded when a user has no address on this channel. */
  noAddressReason: string;
  /** Whether a message on this channel can be refused by quiet hours (SMS: yes; email: no). */
  quietHours: boolean;
  /** The adapter's consumer group on its deliveries topic. */
  adapterGroup: string;
}

export const CHANNEL_REGISTRY = {
  sms: {
    name: 'sms',
    addressKind: 'phone',
    topics: ['notify.deliveries.sms.v1'],
    noAddressReason: 'no_phone',
    quietHours: true,
    adapterGroup: 'sms-adapter',
  },
  email: {
    name: 'email',
    addressKind: 'email',
    topics: ['notify.deliveries.email.v1', 'notify.email.status.v1'],
    noAddressReason: 'no_email',
    quietHours: false,
    adapterGroup: 'email-adapter',
  },
  inapp: {
    name: 'inapp',
    addressKind: 'user',
    topics: ['notify.deliveries.inapp.v1'],
    noAddressReason: 'no_inbox',
    quietHours: false,
    adapterGroup: 'inapp-adapter',
  },
} as const satisfies Record<string, ChannelDefinition>;

export type Channel = keyof typeof CHANNEL_REGISTRY;

export const CHANNEL_NAMES = Object.keys(CHANNEL_REGISTRY) as [Channel, ...Channel[]];

export function isChannel(name: string): name is Channel {
  return Object.hasOwn(CHANNEL_REGISTRY, name);
}

export function channelDefinition(name: string): ChannelDefinition | null {
  return isChannel(name) ? CHANNEL_REGISTRY[name] : null;
}
