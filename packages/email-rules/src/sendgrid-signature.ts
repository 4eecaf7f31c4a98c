import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * SendGrid Event Webhook signature (ECDSA P-256 over SHA-256): SendGrid signs the bytes of
 * the X-Twilio-Email-Event-Webhook-Timestamp header followed by the raw request body, and
 * sends the DER signature base64-encoded in X-Twilio-Email-Event-Webhook-Signature. The
 * public key is the base64 DER SubjectPublicKeyInfo the dashboard shows. Verify against the
 * raw body exactly as received (not re-serialised JSON).
 */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
export const DEFAULT_SENDGRID_TOLERANCE_SECONDS = 600;

export type SendgridSignatureFailure = 'missing_header' | 'bad_signature' | 'stale_timestamp' | 'bad_key';

export interface SendgridSignatureInput {
  /** Base64 DER SPKI, as SendGrid's dashboard shows it. */
  publicKey: string;
  /** X-Twilio-Email-Event-Webhook-Signature: base64 DER ECDSA signature. */
  signature: string | undefined | null;
  /** X-Twilio-Email-Event-Webhook-Timestamp: Unix seconds, as sent. */
  timestamp: string | undefined | null;
  rawBody: Buffer | string;
  now?: Date;
  /** Replay window in seconds (default 600); 0 turns the check off. */
  toleranceSeconds?: number;
}

const keys = new Map<string, KeyObject | null>();
function publicKeyOf(base64: string): KeyObject | null {
  let key = keys.get(base64);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.from(base64.trim(), 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ec') key = null;
    } catch {
      key = null;
    }
    if (keys.size > 16) keys.clear();
    keys.set(base64, key);
  }
  return key;
}

export function verifySendgridSignature(input: SendgridSignatureInput): { ok: true } | { ok: false; reason: SendgridSignatureFailure } {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing_header' };
  const key = publicKeyOf(input.publicKey);
  if (key === null) return { ok: false, reason: 'bad_key' };
  const body = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody;
  let valid = false;
  try {
    valid = verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, Buffer.from(signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'bad_signature' };
  const tolerance = input.toleranceSeconds ?? DEFAULT_SENDGRID_TOLERANCE_SECONDS;
  if (tolerance > 0) {
    const sent = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
    const now = (input.now ?? new Date()).getTime() / 1000;
    if (!Number.isFinite(sent) || Math.abs(now - sent) > tolerance) return { ok: false, reason: 'stale_timestamp' };
  }
  return { ok: true };
}
