import { createServer, type Server } from 'node:net';

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/**
 * `count` distinct free TCP ports on `host`, chosen by the kernel. They are held open
 * together (so they differ) and released before returning: a small race with other
 * programs remains, as with any port picked ahead of use.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host));
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** One free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error('no free port');
  return port;
}

/** Throws a clear error when something already listens on host:port. */
export async function assertPortFree(port: number, host = '127.0.0.1', what = 'port'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`${what} ${host}:${port} is not free (${err.code ?? err.message}); is another Kafka running there?`));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
