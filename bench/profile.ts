import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { round } from './measure.ts';

/** Where BENCH_CPU_PROFILE writes a service's V8 CPU profiles (one file per thread). */
export const profileDir = (root: string, service: string) => path.join(root, 'bench/profiles', service);

/** Removes a service's profiles of earlier runs (so the summary reads this run's alone). */
export function clearProfiles(root: string, service: string): void {
  rmSync(profileDir(root, service), { recursive: true, force: true });
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare { name: string; percent: number }

export interface ProfileSummary {
  service: string;
  /** Sampled busy time of the main thread (idle excluded), seconds. */
  busySeconds: number;
  /** Self time by where the code lives: a package, a hub file, node internals, GC. */
  byOrigin: ProfileShare[];
  /** Self time by function (name and file). */
  byFunction: ProfileShare[];
}

/** The code's origin: `pkg:<name>` for node_modules, `hub:<path>` for the repository's code, `node:<module>`, or V8's own entries. */
function origin(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `pkg:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(services|packages|bench)\/(.+)$/.exec(url);
  return m ? `hub:${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

/**
 * Summarises the largest profile of a service's run (the main thread): self time by origin
 * and by function, idle excluded. Null when the service was not profiled.
 */
export function summariseProfile(root: string, service: string, top = 8): ProfileSummary | null {
  const dir = profileDir(root, service);
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  if (files.length === 0) return null;
  const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const profile = JSON.parse(readFileSync(largest, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const originUs = new Map<string, number>();
  const fnUs = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    busy += us;
    const o = origin(frame.url, frame.functionName);
    originUs.set(o, (originUs.get(o) ?? 0) + us);
    const f = `${frame.functionName || '(anonymous)'} ${o}`;
    fnUs.set(f, (fnUs.get(f) ?? 0) + us);
  });
  const shares = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, percent: round((100 * us) / Math.max(1, busy)) }));
  return { service, busySeconds: round(busy / 1e6), byOrigin: shares(originUs), byFunction: shares(fnUs) };
}
