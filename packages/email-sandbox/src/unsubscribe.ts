import type { StoredMail } from './types.ts';

export type UnsubscribeResult =
  | { ok: true; url: string; status: number }
  | { ok: false; error: 'no_list_unsubscribe' | 'no_http_url' | 'no_one_click' | 'request_failed'; detail: string };

/** The first http(s) URL among the <…> entries of a List-Unsubscribe header. */
export function unsubscribeUrl(header: string): string | null {
  for (const m of header.matchAll(/<([^>]*)>/g)) {
    const candidate = (m[1] ?? '').trim();
    if (/^https?:\/\//i.test(candidate)) return candidate;
  }
  return null;
}

/**
 * What a mailbox provider's one-click unsubscribe does (RFC 8058): only when the message has
 * both List-Unsubscribe with an http(s) URL and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`,
 * a POST of `List-Unsubscribe=One-Click` (form-encoded) to that URL, no redirect followed.
 */
export async function oneClickUnsubscribe(mail: StoredMail, timeoutMs = 10_000): Promise<UnsubscribeResult> {
  const header = mail.headers['list-unsubscribe'];
  if (!header) return { ok: false, error: 'no_list_unsubscribe', detail: 'the message has no List-Unsubscribe header' };
  const url = unsubscribeUrl(header);
  if (url === null) return { ok: false, error: 'no_http_url', detail: `List-Unsubscribe has no http(s) URL: ${header}` };
  const post = mail.headers['list-unsubscribe-post'] ?? '';
  if (post.trim().toLowerCase() !== 'list-unsubscribe=one-click') {
    return { ok: false, error: 'no_one_click', detail: 'one-click needs the header "List-Unsubscribe-Post: List-Unsubscribe=One-Click" (RFC 8058)' };
  }
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { ok: true, url, status: res.status };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { ok: false, error: 'request_failed', detail: cause?.code ?? (err instanceof Error ? err.message : String(err)) };
  }
}
