// The image's HEALTHCHECK: asks the program running as PID 1 for its health, by name.
//   gateway        GET :$PORT/health/live      (3000)
//   status-ingest  GET :$PORT/health           (3002)
//   others         GET :$METRICS_PORT/metrics  when METRICS_PORT is set
//   sandboxes      a TCP connect to their HTTP port
// Programs without a port (the migrate job, a CLI) are healthy while they run.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const env = process.env;
let program = env.SERVICE ?? '';
let argv = [];
try {
  argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  const bundle = argv.find((a) => a.startsWith('/app/dist/') && a.endsWith('.mjs'));
  if (bundle) program = bundle.slice('/app/dist/'.length, -'.mjs'.length);
} catch { /* not Linux: fall back to $SERVICE */ }

const host = '127.0.0.1';
const get = async (port, path) => {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
};
const tcp = (port) => new Promise((resolve, reject) => {
  const s = connect({ host, port }, () => { s.end(); resolve(); });
  s.setTimeout(4000, () => { s.destroy(); reject(new Error('timeout')); });
  s.on('error', reject);
});

try {
  if (program === 'gateway') await get(env.PORT ?? 3000, '/health/live');
  else if (program === 'status-ingest') await get(env.PORT ?? 3002, '/health');
  else if (program === 'twilio-sandbox') await tcp(env.SANDBOX_PORT ?? 4010);
  else if (program === 'email-sandbox') await tcp(argv.includes('--http-port') ? argv[argv.indexOf('--http-port') + 1] : 8025);
  else if (env.METRICS_PORT) await get(env.METRICS_PORT, '/metrics');
  process.exit(0);
} catch (err) {
  console.error(`${program || 'hub'} unhealthy: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
