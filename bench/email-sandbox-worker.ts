/**
 * The email sandbox on a worker thread of the bench process (bench/email-sandbox.ts starts
 * it): in-process like the Twilio sandbox, but on a thread of its own, so its CPU is read
 * from /proc/<pid>/task/<tid>/stat apart from the bench's publisher and poller.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createEmailSandbox } from '@hub/email-sandbox';
import type { SandboxSummary, WorkerOptions, WorkerReply, WorkerRequest } from './email-sandbox.ts';

const port = parentPort;
if (!port) throw new Error('email-sandbox-worker.ts runs as a worker thread');
const options = workerData as WorkerOptions;
const sandbox = createEmailSandbox({ webhookUrl: options.webhookUrl, eventDelayMs: options.eventDelayMs, maxMessages: options.maxMessages, logger: false });
await sandbox.start();
// /proc/thread-self is this thread: its first field is the thread id.
const tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]);
const send = (reply: WorkerReply) => port.postMessage(reply);

function summary(addressSuffix: string): SandboxSummary {
  const mail = sandbox.messages().filter((m) => m.envelopeTo.some((a) => a.toLowerCase().endsWith(addressSuffix)));
  const perRecipient = new Map<string, number>();
  for (const m of mail) for (const a of m.envelopeTo) perRecipient.set(a.toLowerCase(), (perRecipient.get(a.toLowerCase()) ?? 0) + 1);
  const events: Record<string, number> = {};
  for (const m of mail) for (const e of m.events) events[e] = (events[e] ?? 0) + 1;
  return {
    messages: mail.length,
    recipients: perRecipient.size,
    recipientsWithDuplicates: [...perRecipient.values()].filter((n) => n > 1).length,
    duplicates: [...perRecipient.values()].reduce((a, n) => a + n - 1, 0),
    events,
    received: mail.map((m) => ({ messageId: m.messageId, to: m.envelopeTo[0] ?? '', receivedAt: m.receivedAt })),
    stats: sandbox.stats(),
  };
}

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    try {
      if (req.type === 'summary') {
        await sandbox.drain();
        send({ type: 'summary', id: req.id, summary: summary(req.addressSuffix) });
      } else if (req.type === 'close') {
        await sandbox.close();
        send({ type: 'closed', id: req.id });
        port.close();
      }
    } catch (err) {
      send({ type: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
send({ type: 'started', smtpHost: sandbox.smtpHost, smtpPort: sandbox.smtpPort, url: sandbox.url, publicKey: sandbox.publicKey, tid });
