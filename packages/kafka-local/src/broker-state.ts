import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What a running broker leaves in its data dir, for `cli.ts status|stop` from elsewhere. */
export interface BrokerState {
  pid: number;
  nodeId: number;
  brokers: string[];
  controllerPort: number;
  startedAt: string;
}

export function stateFile(dataDir: string): string {
  return path.join(dataDir, 'broker.json');
}

export function writeState(dataDir: string, state: BrokerState): void {
  writeFileSync(stateFile(dataDir), JSON.stringify(state, null, 2) + '\n');
}

export function readState(dataDir: string): BrokerState | null {
  const file = stateFile(dataDir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BrokerState;
  } catch {
    return null;
  }
}

export function clearState(dataDir: string, pid: number | undefined): void {
  const state = readState(dataDir);
  if (state && (pid === undefined || state.pid === pid)) rmSync(stateFile(dataDir), { force: true });
}

/** True when `pid` is alive and is a Kafka broker using `dataDir` (guards against pid reuse). */
export function isBrokerProcess(pid: number, dataDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(dataDir);
  } catch {
    return process.platform !== 'linux';
  }
}
