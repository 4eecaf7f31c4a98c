import kafkajs from 'kafkajs';
import type { logCreator } from 'kafkajs';
import type { Logger } from '@hub/logger';

const { logLevel } = kafkajs;

/** Routes kafkajs's own log lines into the service's pino logger. */
export function toKafkaLogCreator(log: Logger): logCreator {
  return () => ({ level, log: entry }) => {
    const { message, ...extra } = entry;
    const fields = { kafka: extra.logger, broker: extra.broker, error: extra.error };
    switch (level) {
      // kafkajs logs every retried request at ERROR; the bus decides what is really an error.
      case logLevel.ERROR:
      case logLevel.WARN:
        log.warn(fields, message);
        break;
      case logLevel.INFO:
        log.debug(fields, message);
        break;
      default:
        log.trace(fields, message);
    }
  };
}
