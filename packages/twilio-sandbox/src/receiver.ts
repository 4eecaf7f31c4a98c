import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

export interface ReceivedCallback {
  /** Path and query as received. */
  path: string;
  /** The full URL the signature is checked against. */
  url: string;
  params: Record<string, string>;
  signature: string;
  /** twilio.validateRequest over `url` and `params`. */
  valid: boolean;
  at: number;
}

export interface CallbackReceiver {
  /** Base URL, e.g. http://127.0.0.1:40123 (append a path and ?mid=…). */
  readonly url: string;
  readonly received: ReceivedCallback[];
  /** Callbacks whose URL carries `?mid=<messageId>`. */
  forMessage(messageId: string): ReceivedCallback[];
  /** Resolves once `predicate` holds for the callbacks received (rejects after timeoutMs). */
  waitFor(predicate: (received: ReceivedCallback[]) => boolean, timeoutMs?: number): Promise<ReceivedCallback[]>;
  /** The next `count` callbacks are answered with `status` (e.g. 500 to exercise retries). */
  failNext(count: number, status: number): void;
  clear(): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the hub's status-ingest in tests: records every callback and checks its
 * X-Twilio-Signature with the SDK's own validateRequest.
 */
export async function startCallbackReceiver(options: { authToken: string; host?: string }): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  const waiters = new Set<() => void>();
  let failing = { count: 0, status: 500 };
  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing.count > 0) {
        failing.count--;
        res.writeHead(failing.status).end();
        return;
      }
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const path = req.url ?? '/';
      const url = base + path;
      const signature = String(req.headers['x-twilio-signature'] ?? '');
      received.push({ path, url, params, signature, valid: twilio.validateRequest(options.authToken, signature, url, params), at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
      for (const wake of waiters) wake();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url: base,
    received,
    forMessage: (messageId) => received.filter((r) => new URL(r.url).searchParams.get('mid') === messageId),
    waitFor(predicate, timeoutMs = 3_000) {
      if (predicate(received)) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`callbacks not received within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        const check = () => {
          if (!predicate(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        waiters.add(check);
      });
    },
    failNext(count, status) {
      failing = { count, status };
    },
    clear() {
      received.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
