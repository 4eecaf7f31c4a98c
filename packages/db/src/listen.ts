import pg from 'pg';

export interface ChannelListener {
  stop(): Promise<void>;
}

export interface ListenOptions {
  /** Called with each notification's payload. */
  onNotify(payload: string): void;
  /**
   * Called after every (re)connection: notifications sent while disconnected are lost, so
   * the caller drops whatever they would have invalidated.
   */
  onConnected?(): void;
  onError?(err: unknown): void;
  /** Wait before reconnecting after a failure (default 2 s). */
  retryMs?: number;
}

/**
 * LISTENs on a PostgreSQL channel over a dedicated connection (not the pool), reconnecting
 * after failures until stopped.
 */
export function listenToChannel(databaseUrl: string, channel: string, options: ListenOptions): ChannelListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const retry = () => {
    const old = client;
    client = null;
    void old?.end().catch(() => undefined);
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, options.retryMs ?? 2_000);
    timer.unref();
  };

  const connect = async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', (msg) => {
      if (msg.channel === channel) options.onNotify(msg.payload ?? '');
    });
    c.on('error', (err) => {
      options.onError?.(err);
      if (client === c) retry();
    });
    c.on('end', () => {
      if (client === c) retry();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      options.onError?.(err);
      await c.end().catch(() => undefined);
      retry();
      return;
    }
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    options.onConnected?.();
  };

  void connect();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
