import nodemailer, { type SendMailOptions } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { createEmailSandbox, startEventReceiver, type EmailSandbox, type EmailSandboxOptions, type EventReceiver } from '../src/index.ts';

export interface Rig {
  sandbox: EmailSandbox;
  receiver: EventReceiver;
  /** Sends one mail through a fresh (unpooled) nodemailer transport. */
  send(mail: SendMailOptions, transport?: Partial<SMTPTransport.Options>): Promise<SMTPTransport.SentMessageInfo>;
  close(): Promise<void>;
}

/** A sandbox posting to a fresh receiver, short event delays and retries. */
export async function startRig(options: EmailSandboxOptions = {}): Promise<Rig> {
  const sandbox = createEmailSandbox({ eventDelayMs: 5, webhookRetryDelaysMs: [20, 40, 80], ...options });
  await sandbox.start();
  const receiver = await startEventReceiver({ publicKey: sandbox.publicKey });
  if (options.webhookUrl === undefined) sandbox.setWebhookUrl(`${receiver.url}/events`);
  return {
    sandbox,
    receiver,
    async send(mail, transport = {}) {
      const t = nodemailer.createTransport({ host: sandbox.smtpHost, port: sandbox.smtpPort, secure: false, ignoreTLS: true, ...transport });
      try {
        return await t.sendMail({ from: 'Hub <noreply@hub.test>', subject: 'hello', text: 'hi', ...mail });
      } finally {
        t.close();
      }
    },
    async close() {
      await sandbox.close();
      await receiver.close();
    },
  };
}

/** The error a send rejected with, for its fields (code, responseCode, command, response). */
export async function sendError(p: Promise<unknown>): Promise<Error & { code?: string; responseCode?: number; command?: string; response?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string; responseCode?: number; command?: string; response?: string };
  }
  throw new Error('expected the send to fail');
}
