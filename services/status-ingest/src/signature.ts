import twilio from 'twilio';

export type FormParams = Record<string, string | string[]>;

/**
 * Checks X-Twilio-Signature against the URL Twilio signed: the configured public base URL
 * plus the request's path and query exactly as received (never the request's Host header).
 */
export function isValidTwilioSignature(
  authToken: string,
  publicBaseUrl: string,
  rawUrl: string,
  signature: string | undefined,
  params: FormParams,
): boolean {
  if (!signature) return false;
  const url = publicBaseUrl.replace(/\/$/, '') + rawUrl;
  return twilio.validateRequest(authToken, signature, url, params);
}

/**
 * The form body as Twilio sent it (repeated fields stay arrays, as the signature needs).
 * A null-prototype object, so a field named `__proto__` or `constructor` (Twilio adds fields
 * without notice) is kept as a field and signed like any other.
 */
export function toFormParams(body: unknown): FormParams {
  const out = Object.create(null) as FormParams;
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}

export function field(params: FormParams, name: string): string | undefined {
  if (!Object.hasOwn(params, name)) return undefined;
  const v = params[name];
  return Array.isArray(v) ? v[0] : v;
}
