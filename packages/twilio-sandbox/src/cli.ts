/** Runs the Twilio sandbox alone: SANDBOX_PORT (4010), SANDBOX_HOST, SANDBOX_ACCOUNT_SID, SANDBOX_AUTH_TOKEN. */
import { createTwilioSandbox } from './sandbox.ts';

const sandbox = createTwilioSandbox({
  port: Number(process.env.SANDBOX_PORT ?? 4010),
  host: process.env.SANDBOX_HOST ?? '127.0.0.1',
  accountSid: process.env.SANDBOX_ACCOUNT_SID,
  authToken: process.env.SANDBOX_AUTH_TOKEN,
});
await sandbox.start();
console.log(`Twilio sandbox on ${sandbox.url}  account ${sandbox.accountSid}  token ${sandbox.authToken}`);
const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
