import { describeError } from '@hub/bus';
import { listenToChannel } from '@hub/db';
import type { Logger } from '@hub/logger';

/** PostgreSQL channel the template tables' triggers notify with the changed template_key. */
export const TEMPLATE_CHANGE_CHANNEL = 'hub_template_changed';

/**
 * Drops a channel adapter's cached templates as soon as PostgreSQL announces a change
 * (trigger + NOTIFY on the template tables); everything is dropped on (re)connect, since
 * changes announced while disconnected are lost. The cache TTL bounds staleness meanwhile.
 */
export function watchTemplateChanges(databaseUrl: string, cache: { invalidate(key?: string): void }, log: Logger): { stop(): Promise<void> } {
  return listenToChannel(databaseUrl, TEMPLATE_CHANGE_CHANNEL, {
    onNotify: (key) => cache.invalidate(key || undefined),
    onConnected: () => cache.invalidate(),
    onError: (err) => log.warn({ err: describeError(err) }, 'template change listener lost its connection; the cache TTL bounds staleness meanwhile'),
  });
}
