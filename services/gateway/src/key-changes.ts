import { describeError } from '@hub/bus';
import { listenToChannel } from '@hub/db';
import type { Logger } from '@hub/logger';
import type { VerifiedKeyCache } from './key-cache.ts';

/** PostgreSQL channel the api_keys trigger notifies with the changed key's prefix. */
export const API_KEY_CHANGE_CHANNEL = 'hub_api_key_changed';

/**
 * A key revoked or deleted (through the CLI, SQL, anything) is dropped from this gateway's
 * cache as soon as PostgreSQL announces it; on (re)connect the whole cache is dropped, as
 * announcements made while disconnected are lost. The cache's TTL bounds the rest.
 */
export function watchApiKeyChanges(databaseUrl: string, cache: VerifiedKeyCache, log: Logger): { stop(): Promise<void> } {
  return listenToChannel(databaseUrl, API_KEY_CHANGE_CHANNEL, {
    onNotify: (prefix) => cache.invalidate(prefix || undefined),
    onConnected: () => cache.invalidate(),
    onError: (err) => log.warn({ err: describeError(err) }, `API key change listener lost its connection; revocations take up to ${cache.ttlMs} ms meanwhile`),
  });
}
