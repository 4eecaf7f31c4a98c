import { request, type IncomingMessage } from 'node:http';

/**
 * A minimal Server-Sent-Events client for the integration tests (Node 20 has no
 * EventSource): it records every event with its id and resolves waiters as they arrive.
 */
export interface SseEvent {
  id: string | null;
  event: string;
  data: unknown;
  at: number;
}

export interface SseClient {
  status: number;
  events: SseEvent[];
  /** Resolves with the events of `kind` once there are at least n of them. */
  waitFor(kind: string, n: number, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const waiters = new Set<() => void>();
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res: IncomingMessage) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let sep: number;
        while ((sep = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          const text = data.join('\n');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch { /* keep text */ }
          events.push({ id, event, data: parsed, at: performance.now() });
          for (const w of waiters) w();
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        waitFor: (kind, n, timeoutMs = 15_000) => new Promise((ok, fail) => {
          const check = () => {
            const matching = events.filter((e) => e.event === kind);
            if (matching.length >= n) {
              waiters.delete(check);
              clearTimeout(timer);
              ok(matching);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`timed out waiting for ${n} ${kind} events (have ${events.filter((e) => e.event === kind).length})`));
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
        close: () => { req.destroy(); },
      });
    });
    req.on('error', (err) => { if (!req.destroyed) reject(err); });
    req.end();
  });
}
