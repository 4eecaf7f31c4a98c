import { spawn } from 'node:child_process';

/**
 * Runs a command to completion, keeping its output to itself; rejects with the tail of
 * that output when it fails, cannot start, or outlives `timeoutMs`.
 */
export function runCommand(cmd: string, args: string[], opts: { cwd: string; timeoutMs: number; label?: string }): Promise<void> {
  const label = opts.label ?? `${cmd} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not start: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const how = signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, timeout ${opts.timeoutMs} ms?` : ''})` : `exited ${code}`;
      reject(new Error(`${label} ${how}:\n${output.slice(-4_000)}`));
    });
  });
}
