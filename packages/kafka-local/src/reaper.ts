import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Brokers started by this Node process are not left behind when it goes away:
 * - on 'exit' (process.exit, end of the event loop) each live child gets SIGTERM, and a
 *   small detached shell sends SIGKILL to any still there 20 s later;
 * - on SIGINT / SIGTERM / SIGHUP, when nobody else listens for that signal, the same,
 *   then the signal is raised again so the process dies as it would have (someone else
 *   listening means they decide, and 'exit' covers what follows);
 * - on SIGKILL of Node (no hook runs) the children were started under
 *   `setpriv --pdeathsig SIGTERM` (see spawn-java.ts), so the kernel sends them SIGTERM.
 */
const live = new Set<ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const GRACE_SECONDS = 20;
let installed = false;

function terminateAll(): void {
  const pids: number[] = [];
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      pids.push(child.pid);
    }
  }
  live.clear();
  if (pids.length === 0) return;
  const list = pids.join(' ');
  const script = `sleep ${GRACE_SECONDS}; for p in ${list}; do kill -0 $p 2>/dev/null && kill -9 $p; done; exit 0`;
  try {
    spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
  } catch {
    // best effort: SIGTERM was sent
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  terminateAll();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', terminateAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Watch `child` until it exits; it is terminated if this process goes first. */
export function track(child: ChildProcess): void {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
}
