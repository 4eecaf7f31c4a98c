import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.ts';

/**
 * A private PostgreSQL server for tests that stop and restart the database itself (the
 * machine's shared server must not be restarted under other tests). Built from the Debian
 * packages' binaries (initdb, pg_ctl): PG_BIN_DIR, or the newest /usr/lib/postgresql/N/bin.
 * As root, the server runs as the `postgres` system user (initdb refuses root).
 */
export interface LocalPostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Kills the server (`-m immediate`: no shutdown checkpoint, crash recovery on start), waits `downMs`, starts it again. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries found: install postgresql or set PG_BIN_DIR');
  return path.join(base, versions[0]!, 'bin');
}

/** Server settings for startPostgres; each one replaces the default of the same name. */
export interface LocalPostgresOptions {
  /** `-c name=value` settings, e.g. `{ fsync: 'on', autovacuum: 'on', shared_buffers: '512MB' }`. */
  settings?: Record<string, string | number> | undefined;
}

/** The defaults (see the comment in startPostgres): what the restart test runs with. */
const DEFAULT_SETTINGS: Record<string, string | number> = { fsync: 'off', synchronous_commit: 'on', max_connections: 200 };

export async function startPostgres(opts: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}\n${log}`);
    }
  };
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // synchronous_commit stays on, as in a deployment: with it off, a commit is acknowledged
  // before its WAL leaves the server process, so restart()'s immediate stop loses the last
  // ~200 ms of acknowledged commits, and a restart test sees "lost" data that production
  // would have kept. fsync=off is safe here: restart() kills processes, not the machine, so
  // WAL already handed to the kernel survives.
  const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  for (const [k, v] of Object.entries(settings)) {
    if (!/^[a-z_.]+$/.test(k) || !/^[\w.:/-]+$/.test(String(v))) throw new Error(`unsupported PostgreSQL setting ${k}=${v}`);
  }
  const options = [`-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const start = () => run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
  start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart(downMs = 3_000) {
      run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await new Promise((r) => setTimeout(r, downMs));
      start();
    },
    async stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
