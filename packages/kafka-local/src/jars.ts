import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pomFile, repoRoot } from './paths.ts';
import { runCommand } from './run-command.ts';
import { KAFKA_VERSION, SCALA_BINARY_VERSION } from './version.ts';

export interface EnsureJarsOptions {
  /** Root of the cache; default $KAFKA_CACHE_DIR, else <repo root>/.cache/kafka. */
  cacheDir?: string;
  /** Kafka version; default KAFKA_VERSION (the pom's logging backend suits 3.x). */
  version?: string;
  /** The Maven executable; default $MVN, else `mvn` on the PATH. */
  mvn?: string;
  /** Called once before Maven runs (the first run takes ~30 s on an empty ~/.m2). */
  onFetch?: (message: string) => void;
}

/** <repo root>/.cache/kafka, or $KAFKA_CACHE_DIR. Each version gets `<cacheDir>/<version>/libs`. */
export function defaultCacheDir(): string {
  return process.env.KAFKA_CACHE_DIR ?? path.join(repoRoot, '.cache', 'kafka');
}

/** Where the jars of `version` live (whether fetched yet or not). */
export function libsDirFor(version = KAFKA_VERSION, cacheDir = defaultCacheDir()): string {
  return path.join(cacheDir, version, 'libs');
}

const MARKER = '.complete';

function brokerJar(version: string): string {
  return `kafka_${SCALA_BINARY_VERSION}-${version}.jar`;
}

/** True when the marker says the set is complete and every jar it lists is still there. */
function isComplete(versionDir: string, version: string): boolean {
  const libs = path.join(versionDir, 'libs');
  const marker = path.join(versionDir, MARKER);
  if (!existsSync(marker) || !existsSync(path.join(libs, brokerJar(version)))) return false;
  let listed: unknown;
  try {
    listed = (JSON.parse(readFileSync(marker, 'utf8')) as { jars?: unknown }).jars;
  } catch {
    return true; // an older plain-text marker: the broker jar's presence is enough
  }
  if (!Array.isArray(listed)) return false;
  const present = new Set(readdirSync(libs));
  return listed.every((jar) => typeof jar === 'string' && present.has(jar));
}

/**
 * The broker's classpath, assembled from Maven Central with the machine's Maven and
 * ~/.m2, cached under `<cacheDir>/<version>/libs`. A marker file records a complete set:
 * later calls return at once without running Maven. Maven writes into a fresh directory
 * that is renamed into place, so a half-done fetch is never used. Returns the libs dir.
 */
export async function ensureKafkaJars(opts: EnsureJarsOptions = {}): Promise<string> {
  const version = opts.version ?? KAFKA_VERSION;
  const libs = libsDirFor(version, opts.cacheDir ?? defaultCacheDir());
  const versionDir = path.dirname(libs);
  if (isComplete(versionDir, version)) return libs;

  mkdirSync(versionDir, { recursive: true });
  const partial = path.join(versionDir, `libs.partial-${process.pid}-${Date.now()}`);
  opts.onFetch?.(`fetching Apache Kafka ${version} jars from Maven Central into ${libs}`);
  try {
    await runCommand(opts.mvn ?? process.env.MVN ?? 'mvn', [
      '-q', '-B',
      '-f', pomFile,
      `-Dkafka.version=${version}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      '-Dmdep.useRepositoryLayout=false',
      `-DoutputDirectory=${partial}`,
    ], { cwd: versionDir, timeoutMs: 10 * 60_000, label: `mvn dependency:copy-dependencies (Kafka ${version}, ${pomFile})` });
    const jars = readdirSync(partial).filter((f) => f.endsWith('.jar')).sort();
    if (!jars.includes(brokerJar(version))) throw new Error(`Maven finished but fetched no ${brokerJar(version)}`);
    if (isComplete(versionDir, version)) return libs; // another process finished first
    if (existsSync(libs)) rmSync(libs, { recursive: true, force: true }); // an incomplete set
    renameSync(partial, libs);
    writeFileSync(path.join(versionDir, MARKER), JSON.stringify({ version, fetchedAt: new Date().toISOString(), jars }, null, 2) + '\n');
    return libs;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}
