/**
 * Runs the email sandbox alone (local start, manual tests):
 *   tsx packages/email-sandbox/src/cli.ts [--smtp-port 2525] [--http-port 8025] [--host 127.0.0.1]
 *     [--webhook-url http://…] [--event-delay-ms 50] [--no-auto-events] [--log]
 * Prints the SMTP address, the web UI, the webhook URL and the public key (SendGrid's
 * "Verification Key"); runs until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createEmailSandbox } from './sandbox.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      'smtp-port': { type: 'string', default: '2525' },
      'http-port': { type: 'string', default: '8025' },
      host: { type: 'string', default: '127.0.0.1' },
      'webhook-url': { type: 'string' },
      'event-delay-ms': { type: 'string' },
      'no-auto-events': { type: 'boolean', default: false },
      log: { type: 'boolean', default: false },
    },
    strict: true,
  }));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const port = (name: string): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) fail(`--${name} must be a port number (0-65535), got ${JSON.stringify(values[name])}`);
  return n;
};
const webhookUrl = values['webhook-url'] as string | undefined;
if (webhookUrl !== undefined && !/^https?:\/\/\S+$/.test(webhookUrl)) fail(`--webhook-url must be an http(s) URL, got ${JSON.stringify(webhookUrl)}`);
const delay = values['event-delay-ms'] === undefined ? undefined : Number(values['event-delay-ms']);
if (delay !== undefined && !(Number.isInteger(delay) && delay >= 0)) fail(`--event-delay-ms must be a non-negative integer, got ${JSON.stringify(values['event-delay-ms'])}`);

const sandbox = createEmailSandbox({
  smtpPort: port('smtp-port'),
  httpPort: port('http-port'),
  host: values.host as string,
  webhookUrl,
  eventDelayMs: delay,
  autoEvents: !values['no-auto-events'],
  logger: { level: values.log ? 'info' : 'warn' },
});
await sandbox.start();
console.log('Email sandbox');
console.log(`  SMTP      smtp://${sandbox.smtpHost}:${sandbox.smtpPort} (any AUTH or none, no TLS)`);
console.log(`  web UI    ${sandbox.url}/`);
console.log(`  API       ${sandbox.url}/api/{messages,faults,stats,webhook-url}`);
console.log(`  webhook   ${webhookUrl ?? '(none; PUT /api/webhook-url {"url": "…"})'}`);
console.log(`  PUBLIC_KEY=${sandbox.publicKey}`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing the email sandbox`);
  await sandbox.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
