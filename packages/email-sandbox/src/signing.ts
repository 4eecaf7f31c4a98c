import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/**
 * SendGrid's Signed Event Webhook: ECDSA P-256 over SHA-256 of the UTF-8 bytes of
 * timestamp + raw body, DER-encoded, base64 in the signature header.
 */
export class EventSigner {
  readonly privateKey: KeyObject;
  /** Base64 DER SubjectPublicKeyInfo: the "Verification Key" SendGrid's dashboard shows. */
  readonly publicKey: string;

  constructor(privateKey?: KeyObject) {
    this.privateKey = privateKey ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const details = this.privateKey.asymmetricKeyDetails;
    if (this.privateKey.type !== 'private' || this.privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
      throw new Error('privateKey must be an ECDSA P-256 (prime256v1) private key');
    }
    this.publicKey = createPublicKey(this.privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  }

  /** The two headers for a body posted at `timestamp` (unix seconds). */
  headers(body: string, timestamp: number): Record<string, string> {
    const ts = String(timestamp);
    const signature = sign('sha256', Buffer.from(ts + body, 'utf8'), this.privateKey).toString('base64');
    return { [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: ts };
  }
}

/** Checks a signature the way a receiver of SendGrid's webhook does; false on any malformed input. */
export function verifyEventSignature(input: { publicKey: string; signature: string; timestamp: string; payload: string | Buffer }): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(input.publicKey, 'base64'), format: 'der', type: 'spki' });
    const data = Buffer.concat([Buffer.from(input.timestamp, 'utf8'), Buffer.isBuffer(input.payload) ? input.payload : Buffer.from(input.payload, 'utf8')]);
    return verify('sha256', data, key, Buffer.from(input.signature, 'base64'));
  } catch {
    return false;
  }
}
