/**
 * URLs a variable may supply as a whole link or image address: http(s) and mailto only —
 * never `javascript:`, `data:`, `vbscript:` or a relative path. Returns the URL as the WHATWG
 * parser normalises it (spaces and quotes percent-encoded), or null.
 */
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

export function safeEmailUrl(value: string): string | null {
  const trimmed = value.trim();
  // eslint-disable-next-line no-control-regex
  if (trimmed === '' || /[\u0000-\u001f\u007f]/.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol !== 'mailto:' && url.hostname === '') return null;
  return url.href;
}
