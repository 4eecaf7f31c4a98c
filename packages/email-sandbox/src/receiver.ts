import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyEventSignature } from './signing.ts';

export interface ReceivedPost {
  path: string;
  /** The body exactly as received (what the signature covers). */
  rawBody: string;
  /** The parsed JSON array (empty when the body was not an array). */
  events: Record<string, unknown>[];
  signature: string;
  timestamp: string;
  /** The signature checked against the public key given. */
  valid: boolean;
  /** What the receiver answered. */
  status: number;
  at: number;
}

export interface EventReceiver {
  /** Base URL, e.g. http://127.0.0.1:40123 (any path is accepted). */
  readonly url: string;
  /** Every POST, refused ones (failNext) included. */
  readonly posts: ReceivedPost[];
  /** The events of the POSTs answered 2xx, in arrival order. */
  events(): Record<string, unknown>[];
  /** Resolves once `predicate` holds for the events taken (rejects after timeoutMs, default 5 s). */
  waitFor(predicate: (events: Record<string, unknown>[]) => boolean, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** The next `count` POSTs are answered with `status` (e.g. 500 to exercise retries). */
  failNext(count: number, status?: number): void;
  clear(): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the hub's SendGrid event ingest in tests: records every POST with its raw
 * body and checks the signature with the sandbox's public key.
 */
export async function startEventReceiver(options: { publicKey: string; host?: string }): Promise<EventReceiver> {
  const posts: ReceivedPost[] = [];
  const waiters = new Set<() => void>();
  let failing = { count: 0, status: 500 };
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/*', (req, reply) => {
    const rawBody = typeof req.body === 'string' ? req.body : '';
    let events: Record<string, unknown>[] = [];
    try {
      const parsed: unknown = JSON.parse(rawBody);
      if (Array.isArray(parsed)) events = parsed as Record<string, unknown>[];
    } catch {
      // recorded with no events
    }
    const signature = String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? '');
    const timestamp = String(req.headers[TIMESTAMP_HEADER.toLowerCase()] ?? '');
    const status = failing.count > 0 ? (failing.count--, failing.status) : 200;
    posts.push({ path: req.url, rawBody, events, signature, timestamp, valid: verifyEventSignature({ publicKey: options.publicKey, signature, timestamp, payload: rawBody }), status, at: Date.now() });
    for (const wake of [...waiters]) wake();
    return reply.code(status).send();
  });
  await app.listen({ port: 0, host: options.host ?? '127.0.0.1' });
  const url = `http://${options.host ?? '127.0.0.1'}:${(app.server.address() as AddressInfo).port}`;
  const taken = () => posts.filter((p) => p.status < 300).flatMap((p) => p.events);

  return {
    url,
    posts,
    events: taken,
    waitFor(predicate, timeoutMs = 5_000) {
      if (predicate(taken())) return Promise.resolve(taken());
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(taken())) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(taken());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`events not received within ${timeoutMs} ms (${taken().length} taken, ${posts.length} posts)`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    failNext(count, status = 500) {
      failing = { count, status };
    },
    clear() {
      posts.length = 0;
    },
    close: () => app.close(),
  };
}
