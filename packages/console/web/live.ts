import { useEffect, useRef, useState } from 'preact/hooks';
import { session } from './api.ts';

/**
 * The console's live stream: ONE `GET /v1/deliveries/live` per tab while logged in, shared by
 * every page. Read with fetch (not EventSource, which cannot send the Authorization header:
 * the key never goes into a URL), parsed as Server-Sent Events, reconnected after a drop
 * with Last-Event-ID (the newest event id seen), so the gateway replays what was missed or
 * says `reset` (reload the view).
 */

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'refused' | 'off';
export interface LiveEvent { event: string; data: unknown; id: string | null }
type Listener = (e: LiveEvent) => void;

const listeners = new Set<Listener>();
const statusListeners = new Set<(s: LiveStatus) => void>();
let status: LiveStatus = 'off';
let lastId: string | null = null;
let abort: AbortController | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;

const setStatus = (s: LiveStatus) => {
  status = s;
  for (const l of statusListeners) l(s);
};

function dispatch(block: string): void {
  let event = 'message';
  let id: string | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  if (id !== null && (lastId === null || Number(id) > Number(lastId))) lastId = id;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.join('\n'));
  } catch {
    return;
  }
  for (const l of listeners) l({ event, data: parsed, id });
}

async function connect(): Promise<void> {
  const key = session.key();
  if (!key) return setStatus('off');
  const controller = new AbortController();
  abort = controller;
  setStatus(lastId === null ? 'connecting' : 'reconnecting');
  let retryMs = 2_000;
  try {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'text/event-stream' };
    if (lastId !== null) headers['last-event-id'] = lastId;
    const res = await fetch('/v1/deliveries/live', { headers, signal: controller.signal, cache: 'no-store' });
    if (res.status === 401 || res.status === 403) return setStatus('refused');
    if (!res.ok || !res.body) {
      retryMs = res.status === 503 ? 10_000 : 5_000;
      throw new Error(`HTTP ${res.status}`);
    }
    setStatus('live');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let sep: number;
      while ((sep = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, sep));
        buffer = buffer.slice(sep + 2);
      }
    }
  } catch {
    if (controller.signal.aborted) return;
  }
  if (abort !== controller) return;
  // The gateway ended the stream (its lifetime) or the network dropped it: come back with Last-Event-ID.
  setStatus('reconnecting');
  retryTimer = setTimeout(() => void connect(), retryMs);
}

/** Opens the tab's stream (on login) … */
export function startLive(): void {
  if (abort) return;
  void connect();
}

/** … and closes it (on logout). */
export function stopLive(): void {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  abort?.abort();
  abort = null;
  lastId = null;
  setStatus('off');
}

/** Calls `on` with every event of the stream while the component is mounted. */
export function useLive(on: Listener): void {
  const ref = useRef(on);
  ref.current = on;
  useEffect(() => {
    const l: Listener = (e) => ref.current(e);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
}

export function useLiveStatus(): LiveStatus {
  const [s, setS] = useState(status);
  useEffect(() => {
    statusListeners.add(setS);
    setS(status);
    return () => void statusListeners.delete(setS);
  }, []);
  return s;
}
