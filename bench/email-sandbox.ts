import { Worker } from 'node:worker_threads';
import type { SandboxStats } from '@hub/email-sandbox';

export interface WorkerOptions { webhookUrl: string; eventDelayMs: number; maxMessages: number }
type Request = { type: 'summary'; addressSuffix: string } | { type: 'close' };
export type WorkerRequest = Request & { id: number };
export type WorkerReply =
  | { type: 'started'; smtpHost: string; smtpPort: number; url: string; publicKey: string; tid: number }
  | { type: 'summary'; id: number; summary: SandboxSummary }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };

/** What the sandbox received for recipients whose address ends with a suffix. */
export interface SandboxSummary {
  /** Messages stored. */
  messages: number;
  /** Distinct envelope recipients. */
  recipients: number;
  recipientsWithDuplicates: number;
  /** Messages beyond the first per recipient. */
  duplicates: number;
  /** Automatic events emitted, by kind (processed, delivered…). */
  events: Record<string, number>;
  received: { messageId: string; to: string; receivedAt: string }[];
  stats: SandboxStats;
}

export interface EmailSandboxThread {
  smtpHost: string;
  smtpPort: number;
  url: string;
  publicKey: string;
  /** The worker thread's id (its CPU: /proc/<tid>/stat). */
  tid: number;
  eventDelayMs: number;
  summary(addressSuffix: string): Promise<SandboxSummary>;
  close(): Promise<void>;
}

/**
 * Starts @hub/email-sandbox on a worker thread of this process (no faults, automatic
 * processed + delivered events eventDelayMs apart, posted to webhookUrl).
 */
export async function startEmailSandboxThread(options: WorkerOptions): Promise<EmailSandboxThread> {
  // A worker does not inherit tsx's loader on Node 20: load the TypeScript entry through tsx's API.
  const entry = new URL('./email-sandbox-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(`import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, workerData: options });
  const pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const started = new Promise<Extract<WorkerReply, { type: 'started' }>>((resolve, reject) => {
    worker.on('message', (r: WorkerReply) => {
      if (r.type === 'started') return resolve(r);
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.type === 'error') p.reject(new Error(`email sandbox: ${r.message}`));
      else p.resolve(r);
    });
    worker.once('error', (err) => {
      reject(err);
      for (const p of pending.values()) p.reject(err);
    });
    worker.once('exit', (code) => {
      exited = true;
      reject(new Error(`email sandbox worker exited (${code}) before starting`));
      for (const p of pending.values()) p.reject(new Error(`email sandbox worker exited (${code})`));
    });
  });
  const call = (req: Request): Promise<WorkerReply> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id });
    });
  };
  const s = await started;
  return {
    smtpHost: s.smtpHost,
    smtpPort: s.smtpPort,
    url: s.url,
    publicKey: s.publicKey,
    tid: s.tid,
    eventDelayMs: options.eventDelayMs,
    async summary(addressSuffix) {
      const r = await call({ type: 'summary', addressSuffix });
      if (r.type !== 'summary') throw new Error(`unexpected reply ${r.type}`);
      return r.summary;
    },
    async close() {
      if (exited) return;
      await Promise.race([call({ type: 'close' }), new Promise((r) => setTimeout(r, 5_000))]);
      await worker.terminate();
    },
  };
}
