/** The gateway's admin API as the console calls it: the key from sessionStorage, errors in words. */

const KEY = 'hub.console.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string): void => sessionStorage.setItem(KEY, key),
  clear: (): void => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** Calls the API with the session's key; a non-2xx answer throws ApiError with the hub's error shape. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<T> {
  const key = init.key ?? session.key();
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  // /health answers 503 with its full report when red: that is an answer, not an error.
  if (res.ok || (path === '/health' && res.status === 503 && json)) return json as T;
  const err = (json as { error?: { code?: string; message?: string } & Record<string, unknown> } | null)?.error;
  const { code = `http_${res.status}`, message = res.statusText, ...details } = err ?? {};
  throw new ApiError(res.status, code, message, details);
}

/** What the people at the console read for a refusal: the API's code turned into a sentence. */
const WORDS: Record<string, string> = {
  not_resendable: 'Not resent: only a failed delivery can be sent again.',
  already_final: 'Not cancelled: the delivery has already reached a final state.',
  send_in_progress: 'Not cancelled: the message is being sent right now (or its outcome is not known yet), so it can no longer be stopped.',
  already_sent: 'Not cancelled: the message was already handed to the provider.',
  already_cancelled: 'Not cancelled: the event was already cancelled.',
  event_in_flight: 'Not cancelled yet: the event is being routed right now; try again in a moment.',
  no_email_address: 'The recipient has no email address to opt out or in.',
  no_phone_number: 'The recipient has no phone number to opt out or in.',
  missing_vars: 'The preview needs values for every required variable.',
  invalid_template: 'The template does not compile.',
};

export function describeError(e: unknown): string {
  if (!(e instanceof ApiError)) return `Something went wrong: ${e instanceof Error ? e.message : String(e)}`;
  if (e.status === 401) return 'The API key was refused (unknown or revoked). Log out and log in with a valid key.';
  if (e.status === 403) return 'This key may not do that: it needs the admin:write scope (an admin:read key is read-only).';
  if (e.status === 404) return `Not found: ${e.message}.`;
  if (e.status === 429) return 'Too many requests for this key; wait a minute and try again.';
  const words = WORDS[e.code];
  if (e.status === 409) return `${words ?? 'Refused.'} (${e.code}: ${e.message})`;
  if (words) return `${words} ${e.message}`;
  return `${e.message} (${e.code}, HTTP ${e.status})`;
}

/** Whether the key may write: a cancel of a delivery that cannot exist answers 404 for admin:write, 403 for admin:read. */
export async function probeWrite(key: string): Promise<boolean> {
  try {
    await api('/v1/deliveries/00000000-0000-4000-8000-000000000000/cancel', { method: 'POST', key });
    return true;
  } catch (e) {
    return e instanceof ApiError && e.status === 404;
  }
}

export const qs = (params: Record<string, string | number | undefined | null>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
