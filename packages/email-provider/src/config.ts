import { readFileSync } from 'node:fs';
import { z } from '@hub/config';
import { STARTTLS_POLICIES, type SmtpOptions } from './smtp-provider.ts';

/**
 * The SMTP_* variables (a zod object shape, merged into a service's schema and parsed once
 * at boot with @hub/config's loadConfig). Booleans are zod's stringbool: true/false, 1/0,
 * yes/no, on/off — "false" is false (z.coerce.boolean would read it as true).
 */
export const smtpEnv = {
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: z.coerce.number().int().min(1).max(65_535).default(2525),
  /** Implicit TLS (port 465). */
  SMTP_SECURE: z.stringbool().default(false),
  /** STARTTLS policy when SMTP_SECURE is false. */
  SMTP_STARTTLS: z.enum(STARTTLS_POLICIES).default('opportunistic'),
  SMTP_TLS_REJECT_UNAUTHORIZED: z.stringbool().default(true),
  SMTP_TLS_SERVERNAME: z.string().min(1).optional(),
  SMTP_TLS_MIN_VERSION: z.enum(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /** Path of a PEM file of CAs to trust (read once at boot). */
  SMTP_TLS_CA_FILE: z.string().min(1).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASS: z.string().min(1).optional(),
  SMTP_POOL_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(5),
  SMTP_POOL_MAX_MESSAGES: z.coerce.number().int().min(1).default(100),
  /** Per-sender (per process) limit, messages per second; 0 = unlimited. */
  SMTP_RATE_PER_SECOND: z.coerce.number().int().min(0).default(50),
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
};

export type SmtpEnvSettings = z.infer<z.ZodObject<typeof smtpEnv>>;

/**
 * SmtpOptions from parsed SMTP_* settings. Reads SMTP_TLS_CA_FILE (at boot); SMTP_USER and
 * SMTP_PASS go together. Throws an Error naming the variable otherwise.
 */
export function smtpOptionsFromEnv(config: SmtpEnvSettings, readFile: (path: string) => Buffer = (p) => readFileSync(p)): SmtpOptions {
  if ((config.SMTP_USER === undefined) !== (config.SMTP_PASS === undefined)) {
    throw new Error('SMTP_USER and SMTP_PASS: set both or neither');
  }
  let ca: Buffer | undefined;
  if (config.SMTP_TLS_CA_FILE !== undefined) {
    try {
      ca = readFile(config.SMTP_TLS_CA_FILE);
    } catch (err) {
      throw new Error(`SMTP_TLS_CA_FILE: cannot read ${config.SMTP_TLS_CA_FILE}: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    startTls: config.SMTP_STARTTLS,
    tls: {
      rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED,
      servername: config.SMTP_TLS_SERVERNAME,
      minVersion: config.SMTP_TLS_MIN_VERSION,
      ca,
    },
    auth: config.SMTP_USER !== undefined && config.SMTP_PASS !== undefined ? { user: config.SMTP_USER, pass: config.SMTP_PASS } : undefined,
    maxConnections: config.SMTP_POOL_MAX_CONNECTIONS,
    maxMessages: config.SMTP_POOL_MAX_MESSAGES,
    ratePerSecond: config.SMTP_RATE_PER_SECOND,
    timeoutMs: config.SMTP_TIMEOUT_MS,
  };
}
