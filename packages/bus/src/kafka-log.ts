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
      case logLevel.ERROR:
        log.error(fields, message);
        break;
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
