import { baseEnv, loadConfig, z } from '@hub/config';

export const statusIngestEnv = z.object({
  ...baseEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3002),
  HOST: z.string().default('127.0.0.1'),
  /**
   * The public base URL Twilio posts to (scheme, host, port as Twilio sees them). Signatures
   * are checked against this, never against the request's own Host header.
   */
  STATUS_INGEST_PUBLIC_URL: z.string().url(),
  TWILIO_AUTH_TOKEN: z.string().min(1),
  /**
   * SendGrid's Signed Event Webhook "Verification Key" (base64 DER): enables
   * POST /webhooks/sendgrid/events (bounces, complaints, deliveries of email).
   */
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(40).optional(),
  /** Replay window of that signature's timestamp, seconds; 0 = off. */
  SENDGRID_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).default(600),
  /** TwiML reply to HELP / INFO. */
  SMS_HELP_TEXT: z
    .string()
    .default('Notification Hub alerts. Msg frequency varies. Msg&data rates may apply. Reply STOP to unsubscribe, START to resubscribe.'),
});

export type StatusIngestConfig = z.infer<typeof statusIngestEnv>;
export const loadStatusIngestConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(statusIngestEnv, env);
