import escapeHtml from 'escape-html';
import { safeEmailUrl } from './safe-url.ts';

/**
 * Adds a visible unsubscribe link to both parts of a rendered email: in the HTML before
 * </body> (appended when there is none), the URL escaped; in the text at the end.
 * (The List-Unsubscribe headers are the sender's business.) The URL is the hub's own: one
 * that is not http(s)/mailto is a programming error and throws.
 */
export function withUnsubscribeFooter<T extends { html: string; text: string }>(email: T, url: string): T {
  const safe = safeEmailUrl(url);
  if (safe === null) throw new TypeError(`unsubscribe URL must be http(s) or mailto: ${JSON.stringify(url)}`);
  const footer =
    '<div style="font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:18px;color:#6b7280;text-align:center;padding:16px;">' +
    `You receive this email because of your notification settings. <a href="${escapeHtml(safe)}" style="color:#6b7280;text-decoration:underline;">Unsubscribe</a>` +
    '</div>';
  const close = email.html.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
  const html = close === -1 ? `${email.html}${footer}` : `${email.html.slice(0, close)}${footer}${email.html.slice(close)}`;
  const text = `${email.text.trimEnd()}\n\n--\nUnsubscribe: ${safe}\n`;
  return { ...email, html, text };
}
