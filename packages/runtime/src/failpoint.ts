/**
 * Crash injection for tests, in the style of etcd's gofail: HUB_FAILPOINTS=name[,name…]
 * makes the process SIGKILL itself the first time it reaches a named point, so tests can
 * prove that a crash at exactly that step loses nothing and sends nothing twice.
 * Unset in production: a failpoint is then a no-op.
 */
const armed = new Set((process.env.HUB_FAILPOINTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export function failpoint(name: string): void {
  if (armed.size === 0 || !armed.has(name)) return;
  process.stderr.write(`failpoint ${name}: killing process ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}
