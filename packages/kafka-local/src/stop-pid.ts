import { isBrokerProcess } from './broker-state.ts';

/** SIGTERM a broker that another process started; SIGKILL if still there after `graceMs`. */
export async function stopBrokerPid(pid: number, dataDir: string, graceMs = 30_000): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isBrokerProcess(pid, dataDir)) return 'not running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (!isBrokerProcess(pid, dataDir)) return 'stopped';
  }
  process.kill(pid, 'SIGKILL');
  return 'killed';
}
