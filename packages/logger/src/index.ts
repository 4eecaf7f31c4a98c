import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerSettings {
  service: string;
  level?: LoggerOptions['level'];
  /** Force pretty output; by default only when stdout is a TTY. */
  pretty?: boolean;
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
    redact: {
      paths: ['authToken', '*.authToken', 'headers.authorization', 'req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  const envPretty = process.env.LOG_PRETTY;
  const usePretty = settings.pretty ?? (envPretty ? envPretty === '1' || envPretty === 'true' : Boolean(process.stdout.isTTY));
  if (usePretty) {
    return pino(options, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(options);
}

/** Correlation ids carried in Kafka headers and log lines across services. */
export const CORRELATION_HEADER = 'x-correlation-id';
