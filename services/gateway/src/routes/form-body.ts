import type { FastifyInstance } from 'fastify';

/**
 * Form bodies for the public link routes only (registered inside their encapsulated
 * context; the JSON API keeps refusing them with 415). Kept as the raw text: the routes
 * look for one field, and RFC 8058 allows both encodings for the one-click POST.
 */
export const FORM_BODY_LIMIT = 8 * 1024;

export function registerFormParsers(app: FastifyInstance): void {
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => done(null, body));
  }
}

/** The value of a field of a urlencoded or multipart/form-data body (first occurrence), else null. */
export function formField(contentType: string | undefined, body: unknown, name: string): string | null {
  if (typeof body !== 'string') return null;
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    try {
      return new URLSearchParams(body).get(name);
    } catch {
      return null;
    }
  }
  if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
    if (!boundary) return null;
    for (const part of body.split(`--${boundary}`)) {
      const split = part.search(/\r?\n\r?\n/);
      if (split < 0) continue;
      const head = part.slice(0, split);
      const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? '';
      const field = /\bname="([^"]*)"|\bname=([^;\s]+)/i.exec(disposition);
      if ((field?.[1] ?? field?.[2]) !== name) continue;
      return part.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n$/, '');
    }
  }
  return null;
}
