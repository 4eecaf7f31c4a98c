import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { ADDRESS_FIELDS, maskAddress } from './mask.ts';

export type { Logger } from 'pino';
export { maskAddress, ADDRESS_FIELDS } from './mask.ts';

const SECRET_PATHS = ['authToken', '*.authToken', 'headers.authorization', 'req.headers.authorization', 'req.headers["x-api-key"]'];
const ADDRESS_PATHS = ADDRESS_FIELDS.flatMap((f) => [f, `*.${f}`]);

export interface LoggerSettings {
  service: string;
  level?: LoggerOptions['level'];
  /** Force pretty output; by default only when stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (default stdout); tests read them. */
  destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON logs (one object of ids per line); human-readable only on a TTY.
 * Convention: a short message plus ids, e.g. log.info({ eventId, deliveryId }, 'delivery created').
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // secrets are removed; phone numbers and email addresses are masked (mask.ts)
    redact: {
      paths: [...SECRET_PATHS, ...ADDRESS_PATHS],
      censor: (value: unknown, path: string[]) => (ADDRESS_FIELDS.includes(path[path.length - 1]!) ? maskAddress(value) : '[redacted]'),
    },
  };
  const envPretty = process.env.LOG_PRETTY;
  const usePretty = settings.pretty ?? (envPretty ? envPretty === '1' || envPretty === 'true' : Boolean(process.stdout.isTTY));
  if (usePretty) {
    return pino(options, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** Correlation ids carried in Kafka headers and log lines across services. */
export const CORRELATION_HEADER = 'x-correlation-id';
