import { escapeHtml } from '../routes/html-page.ts';

/** The confirmation mail (plain text and HTML, both carrying the link). */
export function confirmationMail(args: { link: string; expiresAt: Date }): { subject: string; text: string; html: string } {
  const until = args.expiresAt.toUTCString();
  const text = [
    'Please confirm your email address by opening this link:',
    '',
    args.link,
    '',
    `The link works until ${until}. If you did not ask for this, ignore this message.`,
  ].join('\n');
  const link = escapeHtml(args.link);
  const html = '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">'
    + '<p>Please confirm your email address.</p>'
    + `<p><a href="${link}" style="display:inline-block;padding:10px 18px;background:#2a5db0;color:#ffffff;text-decoration:none;border-radius:4px">Confirm your email address</a></p>`
    + `<p>Or open this link: <a href="${link}">${link}</a></p>`
    + `<p style="color:#666;font-size:13px">The link works until ${escapeHtml(until)}. If you did not ask for this, ignore this message.</p>`
    + '</body></html>';
  return { subject: 'Confirm your email address', text, html };
}

/** The domain of a From header ('Hub <hub@example.com>' → example.com), for our Message-IDs. */
export function fromDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1).trim() : '';
  return /^[A-Za-z0-9.-]+$/.test(domain) && domain.length > 0 ? domain : 'localhost';
}
