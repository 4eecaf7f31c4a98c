import { ProviderError, type SenderLookup, type SenderRef } from '@hub/sms-provider';
import type { CheckStatus, HealthThresholds, Light } from './verdict.ts';

/**
 * The runbook's account checks as pure functions (seeds: Twilio SMS Integration Runbook,
 * "Health Check Criteria" and "Key Metrics"): account balance normal > $50, alert < $20,
 * "low account balance warning" yellow, "out of credit" red; "phone number active" green,
 * "phone number deactivated" red; 401 authentication errors red.
 */

/** Why an account check is not green (closed codes: /health is unauthenticated). */
export const ACCOUNT_ERROR_CODES = [
  'pending', 'from_number_not_found', 'from_number_not_sms_capable', 'messaging_service_not_found', 'sender_not_checkable',
] as const;
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];

/** What the sender check looks up: the configured sender, one that cannot be looked up, or none. */
export type ConfiguredSender = SenderRef | { kind: 'unverifiable' } | null;

/** Balance below `balanceRed` is red, below `balanceYellow` yellow, else green (in the account's currency). */
export function balanceLight(balance: number, t: Pick<HealthThresholds, 'balanceYellow' | 'balanceRed'>): Light {
  if (balance < t.balanceRed) return 'red';
  if (balance < t.balanceYellow) return 'yellow';
  return 'green';
}

/** The sender's light from the provider's answer: red when it does not exist (or cannot send SMS). */
export function senderLight(ref: SenderRef, found: SenderLookup): { status: Light; error?: AccountErrorCode } {
  if (!found.exists) return { status: 'red', error: ref.kind === 'phone_number' ? 'from_number_not_found' : 'messaging_service_not_found' };
  if (ref.kind === 'phone_number' && found.smsCapable === false) return { status: 'red', error: 'from_number_not_sms_capable' };
  return { status: 'green' };
}

/**
 * A failed account call: bad credentials (20003, 401/403: an inactive account too) are a red
 * finding of their own; anything else (unreachable, timeout, 5xx, rate limit) means the check
 * could not be made: unknown, with its own code, never "balance low" or "sender missing".
 */
export function accountFailure(err: unknown, timedOut: boolean): { status: CheckStatus; code: 'auth_failed' | 'timeout' | 'unreachable' | `provider_${ProviderError['code']}` } {
  if (timedOut) return { status: 'unknown', code: 'timeout' };
  if (err instanceof ProviderError) {
    if (err.kind === 'auth') return { status: 'red', code: 'auth_failed' };
    return { status: 'unknown', code: `provider_${err.code}` };
  }
  return { status: 'unknown', code: 'unreachable' };
}
