/**
 * What the ops/ files (Prometheus rules, Grafana dashboard) may query: the metric names the
 * code registers with prom-client, read from the sources, plus prom-client's default process
 * metrics and the recording rules in ops/prometheus/rules.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const RULES_DIR = join(ROOT, 'ops/prometheus/rules');
export const RULE_TESTS_DIR = join(ROOT, 'ops/prometheus/tests');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'generated' || name === 'test') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** hub_* names in files that import prom-client (where the Counter/Gauge/Histogram is created). */
export function registeredHubMetrics(): Set<string> {
  const names = new Set<string>();
  for (const top of ['packages', 'services']) {
    for (const pkg of readdirSync(join(ROOT, top))) {
      const src = join(ROOT, top, pkg, 'src');
      try { statSync(src); } catch { continue; }
      for (const file of sourceFiles(src)) {
        const text = readFileSync(file, 'utf8');
        if (!text.includes("from 'prom-client'")) continue;
        for (const m of text.matchAll(/name: '(hub_[a-z0-9_]+)'/g)) names.add(m[1]!);
        for (const m of text.matchAll(/gauge\(registry, '(hub_[a-z0-9_]+)'/g)) names.add(m[1]!);
      }
    }
  }
  return names;
}

export async function defaultProcessMetrics(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const json = await registry.getMetricsAsJSON();
  return new Set(json.map((m) => m.name));
}

export function ruleFiles(): string[] {
  return readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml')).map((f) => join(RULES_DIR, f));
}

export function ruleTestFiles(): string[] {
  return readdirSync(RULE_TESTS_DIR).filter((f) => f.endsWith('.test.yml')).map((f) => join(RULE_TESTS_DIR, f));
}

export function recordingRuleNames(): Set<string> {
  const names = new Set<string>();
  for (const file of ruleFiles()) for (const m of readFileSync(file, 'utf8').matchAll(/- record: ([a-z0-9_:]+)/g)) names.add(m[1]!);
  return names;
}

/** Metric names a PromQL expression reads (hub_*, hub:*, process_*, nodejs_*). */
export function metricsInQuery(expr: string): string[] {
  return [...expr.matchAll(/\b((?:hub|process|nodejs)[_:][a-zA-Z0-9_:]*)/g)].map((m) => m[1]!);
}

/** A series name as registered: a histogram's _bucket/_count/_sum are its base name. */
export function isKnown(name: string, known: Set<string>): boolean {
  if (known.has(name)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && known.has(base);
}
