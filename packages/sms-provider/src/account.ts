import { toProviderError } from './classify.ts';
import { ProviderError } from './errors.ts';
import type { ProviderCall } from './port.ts';
import { callTimer, createTwilioClient, type TwilioEnvSettings } from './twilio-provider.ts';

/**
 * What the hub asks the provider about its own account (the runbook's health checks): the
 * balance, and whether the configured sender exists. Both reject with a ProviderError like
 * every other call (auth_failed on 20003 / 401, network, timeout, server_error…).
 */
export interface ProviderAccount {
  /** The account's balance (Twilio: GET /2010-04-01/Accounts/{Sid}/Balance.json). */
  balance(): Promise<AccountBalance>;
  /**
   * Whether the sender exists on the account: a From number among its IncomingPhoneNumbers,
   * or a Messaging Service (Messaging v1 Services/{sid}). Not existing is an answer
   * (`exists: false`), not an error.
   */
  sender(ref: SenderRef): Promise<SenderLookup>;
  /** Closes the pooled sockets. */
  close(): void;
}

export interface AccountBalance {
  /** In `currency` (Twilio answers a decimal string, e.g. "49.13"; negative when in debt). */
  balance: number;
  /** ISO 4217 code, as the provider gives it (USD, EUR…). */
  currency: string;
}

export type SenderRef =
  | { kind: 'phone_number'; phoneNumber: string }
  | { kind: 'messaging_service'; sid: string };

export interface SenderLookup {
  exists: boolean;
  /** A phone number: whether it can send SMS (its capabilities.sms); null for a Messaging Service or when it does not exist. */
  smsCapable: boolean | null;
}

export interface TwilioAccountOptions {
  accountSid: string;
  authToken: string;
  /** When set, every Twilio host is replaced by this base URL (the sandbox). */
  baseUrl?: string | undefined;
  /** Per-request timeout (default 10 000 ms). */
  timeoutMs?: number | undefined;
  /** Sockets per Twilio host (default 2: a few calls a minute). */
  maxSockets?: number | undefined;
  onCall?: ((call: ProviderCall) => void) | undefined;
}

/** Numbers listed per page when looking one up (Twilio's PhoneNumber filter also matches partial numbers). */
const NUMBER_PAGE = 20;

/** The ProviderAccount port on the official SDK, with the same client construction and keep-alive sockets as the provider. */
export function createTwilioAccount(options: TwilioAccountOptions): ProviderAccount {
  const { client, close } = createTwilioClient(options, { maxSockets: 2 });
  const timed = callTimer(options.onCall);
  return {
    balance: () =>
      timed('balance', async (): Promise<AccountBalance> => {
        const b = await client.api.v2010.accounts(options.accountSid).balance.fetch();
        const balance = typeof b.balance === 'string' && b.balance.trim() !== '' ? Number(b.balance) : Number.NaN;
        if (!Number.isFinite(balance) || typeof b.currency !== 'string' || b.currency === '') {
          throw new ProviderError({ code: 'unexpected_response', message: 'the Balance API answered no numeric balance and currency', httpStatus: 200 });
        }
        return { balance, currency: b.currency.toUpperCase() };
      }),

    sender: (ref: SenderRef) =>
      timed('sender_lookup', async (): Promise<SenderLookup> => {
        if (ref.kind === 'phone_number') {
          const numbers = await client.api.v2010.accounts(options.accountSid).incomingPhoneNumbers.list({ phoneNumber: ref.phoneNumber, limit: NUMBER_PAGE, pageSize: NUMBER_PAGE });
          const match = numbers.find((n) => n.phoneNumber === ref.phoneNumber);
          return match ? { exists: true, smsCapable: match.capabilities?.sms !== false } : { exists: false, smsCapable: null };
        }
        try {
          await client.messaging.v1.services(ref.sid).fetch();
          return { exists: true, smsCapable: null };
        } catch (err) {
          const e = toProviderError(err);
          if (e.code === 'not_found') return { exists: false, smsCapable: null };
          throw e;
        }
      }),

    close,
  };
}

/** The account port from the TWILIO_* settings, or undefined when no credentials are configured. */
export function twilioAccountFromEnv(env: TwilioEnvSettings, extra: Pick<TwilioAccountOptions, 'onCall' | 'maxSockets'> = {}): ProviderAccount | undefined {
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) return undefined;
  return createTwilioAccount({
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    baseUrl: env.TWILIO_BASE_URL,
    timeoutMs: env.TWILIO_TIMEOUT_MS,
    ...extra,
  });
}

/**
 * The sender the sms-adapter sends from, as the account check sees it: the Messaging Service
 * when one is configured (the adapter then sends through it, not from the number), else the
 * From number. `unverifiable`: a From the IncomingPhoneNumbers list cannot hold (an
 * alphanumeric sender ID, a short code). Null: neither is configured.
 */
export function configuredSender(env: Pick<TwilioEnvSettings, 'TWILIO_FROM_NUMBER' | 'TWILIO_MESSAGING_SERVICE_SID'>): SenderRef | { kind: 'unverifiable' } | null {
  const service = env.TWILIO_MESSAGING_SERVICE_SID?.trim();
  if (service) return { kind: 'messaging_service', sid: service };
  const from = env.TWILIO_FROM_NUMBER?.trim();
  if (!from) return null;
  return /^\+[1-9]\d{6,14}$/.test(from) ? { kind: 'phone_number', phoneNumber: from } : { kind: 'unverifiable' };
}
