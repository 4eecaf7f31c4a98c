import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  form: Record<string, string>;
  /** Which TCP connection (1, 2, …) carried it. */
  connection: number;
}

export interface Answer {
  status: number;
  body: unknown;
  contentType?: string;
  delayMs?: number;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Connections opened so far. */
  connections(): number;
  /** How the next requests are answered (the last one given is repeated). */
  answer(...answers: Answer[]): void;
  close(): Promise<void>;
}

/** A bare HTTP server that records what the SDK sends and answers what the test says. */
export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let queue: Answer[] = [{ status: 200, body: {} }];
  let opened = 0;
  const ids = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, form, connection: ids.get(req.socket) ?? 0 });
      const a = queue.length > 1 ? queue.shift()! : queue[0]!;
      const send = () => {
        const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
        res.writeHead(a.status, { 'content-type': a.contentType ?? 'application/json' }).end(text);
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  server.on('connection', (socket) => ids.set(socket, ++opened));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => opened,
    answer: (...answers) => {
      queue = answers;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Message resource as Twilio returns it. */
export function messageBody(overrides: Record<string, unknown> = {}) {
  return {
    account_sid: `AC${'a'.repeat(32)}`, api_version: '2010-04-01', body: 'hi', date_created: 'Sun, 22 Nov 2026 10:00:00 +0000',
    date_sent: null, date_updated: 'Sun, 22 Nov 2026 10:00:00 +0000', direction: 'outbound-api', error_code: null, error_message: null,
    from: '+15005550006', messaging_service_sid: null, num_media: '0', num_segments: '1', price: null, price_unit: 'USD',
    sid: `SM${'b'.repeat(32)}`, status: 'queued', subresource_uris: {}, to: '+15551234567', uri: '/x', ...overrides,
  };
}
