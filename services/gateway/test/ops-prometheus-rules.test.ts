/**
 * The Prometheus rules in ops/prometheus: valid (promtool check rules), their unit tests pass
 * (promtool test rules), every alert has a test in which it fires, and every metric they read
 * is one the code registers. promtool comes from Debian's prometheus package; under CI=true a
 * missing promtool fails the test, elsewhere the two promtool tests are skipped with a message.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultProcessMetrics, isKnown, metricsInQuery, recordingRuleNames, registeredHubMetrics, ROOT, ruleFiles, ruleTestFiles } from './ops-metric-names.ts';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const found = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
if (!found && !inCi) console.warn(`promtool not found (${PROMTOOL}): the promtool rule tests are skipped; apt-get install -y prometheus, or set PROMTOOL`);

function promtool(args: string[]): string {
  return execFileSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('ops/prometheus rules', () => {
  it('promtool is installed (required under CI)', () => {
    if (inCi) expect(found, `${PROMTOOL} not found: .ci/run installs Debian's prometheus package`).toBe(true);
  });

  it.skipIf(!found && !inCi)('pass promtool check rules', () => {
    const out = promtool(['check', 'rules', ...ruleFiles()]);
    expect(out).toContain('SUCCESS');
    expect(out).not.toContain('FAILED');
  });

  it.skipIf(!found && !inCi)('pass their promtool unit tests', () => {
    const result = spawnSync(PROMTOOL, ['test', 'rules', ...ruleTestFiles()], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).not.toContain('FAILED');
  }, 60_000); // about 5 s alone; the spend tests replay a week of samples

  it('every alert has a promtool test in which it fires', () => {
    const alerts = ruleFiles().flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!));
    expect(alerts.length).toBeGreaterThan(10);
    const tests = ruleTestFiles().map((f) => readFileSync(f, 'utf8')).join('\n');
    const firing = new Set(
      tests.split(/- eval_time:/).filter((block) => /exp_alerts:\s*\n\s*- exp_labels/.test(block))
        .map((block) => /alertname: (\w+)/.exec(block)?.[1]),
    );
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  });

  it('read only metrics the code registers (or recording rules)', async () => {
    const known = new Set([...registeredHubMetrics(), ...(await defaultProcessMetrics()), ...recordingRuleNames()]);
    expect(known.has('hub_kafka_consumer_lag')).toBe(true);
    const used = ruleFiles().flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/expr: (\|[\s\S]*?(?=\n\s*(?:for|labels|-)\b)|.*)/g)].flatMap((m) => metricsInQuery(m[1]!)));
    expect(used.length).toBeGreaterThan(10);
    expect([...new Set(used)].filter((name) => !isKnown(name, known))).toEqual([]);
  });
});
