import type { Logger } from '@hub/logger';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The process side of a service: starts it, stops it cleanly on SIGINT/SIGTERM (in-flight
 * Kafka batches finish, offsets are committed, connections close), and exits non-zero if
 * start-up fails. `buildX(deps)` stays free of process concerns so tests call it directly.
 */
export async function runService(log: Logger, start: () => Promise<Stoppable>, graceMs = 15_000): Promise<void> {
  let service: Stoppable;
  try {
    service = await start();
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      log.error({ graceMs }, 'graceful stop timed out; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    try {
      await service.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // The local start script runs services as children: die with the parent.
  process.once('disconnect', () => void stop('parent-disconnect'));
}
