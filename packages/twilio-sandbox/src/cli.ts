/**
 * Runs the Twilio sandbox alone (the local start command, the benchmark, manual tests):
 *   tsx packages/twilio-sandbox/src/cli.ts
 * Environment:
 *   SANDBOX_PORT (4010), SANDBOX_HOST (127.0.0.1), SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN,
 *   SANDBOX_FROM_NUMBERS (comma separated), SANDBOX_VERIFY_CODE,
 *   SANDBOX_DELAY_MS (delay between callbacks),
 *   SANDBOX_PUBLIC_URL (the URL printed when others reach the sandbox by another name,
 *     e.g. http://sandbox:4010 in docker-compose),
 *   SANDBOX_LOG (1 = info logs; warnings such as callbacks given up are always logged).
 */
import { createTwilioSandbox } from './sandbox.ts';

const env = process.env;
const port = Number(env.SANDBOX_PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`SANDBOX_PORT must be a port number, got ${JSON.stringify(env.SANDBOX_PORT)}`);
  process.exit(2);
}
const delayMs = env.SANDBOX_DELAY_MS === undefined ? undefined : Number(env.SANDBOX_DELAY_MS);
if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0)) {
  console.error(`SANDBOX_DELAY_MS must be a non-negative integer, got ${JSON.stringify(env.SANDBOX_DELAY_MS)}`);
  process.exit(2);
}

const sandbox = createTwilioSandbox({
  port,
  host: env.SANDBOX_HOST ?? '127.0.0.1',
  publicUrl: env.SANDBOX_PUBLIC_URL || undefined,
  accountSid: env.SANDBOX_ACCOUNT_SID || undefined,
  authToken: env.SANDBOX_AUTH_TOKEN || undefined,
  fromNumbers: env.SANDBOX_FROM_NUMBERS?.split(',').map((s) => s.trim()).filter(Boolean),
  verifyCode: env.SANDBOX_VERIFY_CODE || undefined,
  scenario: delayMs === undefined ? undefined : { delayMs },
  // warnings (callbacks given up) always; everything with SANDBOX_LOG=1
  logger: { level: env.SANDBOX_LOG === '1' ? 'info' : 'warn' },
});
await sandbox.start();
console.log(`Twilio sandbox listening on ${sandbox.url}`);
console.log(`  TWILIO_BASE_URL=${sandbox.url}`);
console.log(`  TWILIO_ACCOUNT_SID=${sandbox.accountSid}`);
console.log(`  TWILIO_AUTH_TOKEN=${sandbox.authToken}`);
console.log(`  control API: ${sandbox.url}/__sandbox/{sends,stats,scenario,faults,reset,drain}`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing the Twilio sandbox`);
  await sandbox.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
