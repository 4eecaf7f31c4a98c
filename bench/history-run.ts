/**
 * npm run bench:history — issue 16 item 10's question: does the hot path slow down on a
 * database that holds millions of deliveries, and while the retention sweep deletes them?
 * The same infrastructure as `npm run bench` (its own Kafka, its own PostgreSQL with
 * production settings, the compiled services), then three steady phases at one rate:
 * on the empty database, on BENCH_HISTORY_ROWS of history, and on it while the sweep runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfra, root, type ServiceRuntime } from './infra.ts';
import { HUB_CPU_GROUPS, steady, type SteadyResult } from './scenarios.ts';
import { history } from './history.ts';
import { round } from './measure.ts';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const config = {
  rows: num('BENCH_HISTORY_ROWS', 10_000_000),
  rate: num('BENCH_HISTORY_RATE', 100),
  seconds: num('BENCH_HISTORY_SECONDS', 60),
  drainTimeoutS: num('BENCH_DRAIN_TIMEOUT_S', 120),
  partitions: num('BENCH_PARTITIONS', 6),
  runtime: (process.env.BENCH_RUNTIME ?? 'js') as ServiceRuntime,
};
const git = (...args: string[]) => {
  try { return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
};

const t0 = Date.now();
const loadAtStart = os.loadavg().map((l) => round(l, 2));
console.log(`[bench] history config ${JSON.stringify(config)}`);
const infra = await startInfra({ partitions: config.partitions, smsRate: 10_000, emailMaxMessages: 1_000, emailEventDelayMs: 20, expectedMessages: config.rows / 4, runtime: config.runtime });
let exitCode = 0;
try {
  console.log(`[bench] baseline: steady ${config.rate}/s on the empty database`);
  const baseline = await steady(infra, [config.rate], config.seconds, config.drainTimeoutS, 'hb');
  const h = await history(infra, config.rows, config.rate, config.seconds, config.drainTimeoutS);
  const row = (name: string, s: SteadyResult) => {
    const p = s.phases[0]!;
    const cpu = HUB_CPU_GROUPS.reduce((a, g) => a + (s.cpuSeconds[g] ?? 0), 0);
    return `| ${name} | ${p.acceptPerSec} | ${p.acceptMs.p50} | ${p.acceptMs.p99} | ${p.deliveredPerSec} | ${p.deliveredMs.p99} | ${round((1000 * cpu) / Math.max(1, p.delivered), 2)} | ${round((1000 * (s.cpuSeconds.postgres ?? 0)) / Math.max(1, p.delivered), 2)} |`;
  };
  const sha = git('rev-parse', '--short', 'HEAD');
  const date = new Date().toISOString();
  const md = [
    `# History benchmark ${date.slice(0, 10)} (${sha}${git('status', '--porcelain') ? ', dirty tree' : ''})`,
    '',
    `Machine: ${os.cpus().length} cores, load average at start ${loadAtStart.join(' / ')}, at end ${os.loadavg().map((l) => round(l, 2)).join(' / ')}. PostgreSQL: ${infra.postgres.server} server, ${JSON.stringify(infra.postgres.settings)}.`,
    '',
    `History: ${h.rows.toLocaleString('en-US')} delivered SMS deliveries (${h.events.toLocaleString('en-US')} events, 10,000 users) created evenly over 180 days, seeded in ${h.seedSeconds} s; notification_deliveries ${h.deliveriesTableMb} MB with its indexes.`,
    `Retention sweep during the third phase (default windows, batches of 1,000, 20 ms apart): deleted ${JSON.stringify(h.swept)} in ${h.sweepSeconds} s (${h.sweepFinishedDuringPhase ? 'finished within the phase' : 'still running when the phase ended'}).`,
    '',
    `Steady ${config.rate} events/s for ${config.seconds} s each (event → provider accept; CPU of the hub's services + Kafka + PostgreSQL per delivered SMS):`,
    '',
    '| phase | accept/s | accept p50 ms | accept p99 ms | delivered/s | delivered p99 ms | hub CPU ms/SMS | PostgreSQL CPU ms/SMS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('empty database', baseline),
    row(`${(h.rows / 1e6).toLocaleString('en-US')} M deliveries of history`, h.plain),
    row('history + retention sweep', h.withSweep),
    '',
    `Command: \`BENCH_HISTORY_ROWS=${config.rows} BENCH_HISTORY_RATE=${config.rate} BENCH_HISTORY_SECONDS=${config.seconds} npm run bench:history\`, ${round((Date.now() - t0) / 1000)} s in all.`,
    '',
  ].join('\n');
  console.log(`\n${md}`);
  const dir = process.env.BENCH_RESULTS_DIR ?? path.join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${date.slice(0, 10)}-${sha}-history`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ date, sha, config, loadAtStart, baseline, history: h }, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  console.log(`[bench] wrote ${path.relative(root, base)}.json and .md`);
} catch (err) {
  console.error('[bench] failed:', err);
  for (const s of infra.services) console.error(`--- ${s.name} (last output)\n${s.output().slice(-3000)}`);
  exitCode = 1;
} finally {
  await infra.stop();
}
process.exit(exitCode);
