import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { javaExecutable } from './java.ts';
import { track } from './reaper.ts';

let pdeathsigSupport: boolean | undefined;

/** util-linux `setpriv --pdeathsig` (Linux): the child gets SIGTERM when its parent dies. */
function hasSetprivPdeathsig(): boolean {
  if (pdeathsigSupport === undefined) {
    const probe = process.platform === 'linux' ? spawnSync('setpriv', ['--pdeathsig', 'TERM', '--', 'true'], { stdio: 'ignore' }) : null;
    pdeathsigSupport = probe !== null && probe.status === 0;
  }
  return pdeathsigSupport;
}

export interface SpawnJavaOptions {
  /** File that receives the JVM's stdout and stderr (appended). */
  outputFile: string;
  /** Keep running after this Node process exits (no reaper, no parent-death signal). */
  detached: boolean;
}

/**
 * Starts `java args…` with its output in a file. Attached children (the default) are
 * tracked by the reaper and get SIGTERM from the kernel if Node dies without running any
 * hook; `setpriv` execs java, so the child's pid is the JVM's.
 */
export function spawnJava(args: string[], opts: SpawnJavaOptions): ChildProcess {
  const out = openSync(opts.outputFile, 'a');
  try {
    const java = javaExecutable();
    const [cmd, argv]: [string, string[]] = !opts.detached && hasSetprivPdeathsig()
      ? ['setpriv', ['--pdeathsig', 'TERM', '--', java, ...args]]
      : [java, args];
    const child = spawn(cmd, argv, { stdio: ['ignore', out, out], detached: opts.detached });
    if (opts.detached) child.unref();
    else track(child);
    return child;
  } finally {
    closeSync(out);
  }
}
