import type { ChildProcess } from 'node:child_process';

/** Has the process gone (exited, killed, or never started)? */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

/** Resolves when `child` has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** Sends `signal`, then SIGKILL if the process is still there after `graceMs`; resolves on exit. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  const exited = exitOf(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill(signal);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** "exit code 1" / "signal SIGKILL", for messages. */
export function describeExit(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
}
