import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const KAFKA_VERSION = '3.9.1';

const packageRoot = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(packageRoot, '../..');

export function defaultCacheDir(): string {
  return process.env.KAFKA_CACHE_DIR ?? path.join(repoRoot, '.cache/kafka', KAFKA_VERSION);
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => reject(new Error(`${cmd} could not start (is Maven installed?): ${err.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`))));
  });
}

/**
 * The broker's classpath, assembled from Maven Central with the machine's Maven (first run
 * ~30 s) and cached: later runs return at once. Returns the libs directory.
 */
export async function ensureKafkaJars(cacheDir = defaultCacheDir()): Promise<string> {
  const libs = path.join(cacheDir, 'libs');
  const marker = path.join(cacheDir, '.complete');
  if (existsSync(marker) && existsSync(libs)) return libs;
  mkdirSync(libs, { recursive: true });
  await run('mvn', [
    '-q', '-B',
    '-f', path.join(packageRoot, 'maven/pom.xml'),
    `-Dkafka.version=${KAFKA_VERSION}`,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${libs}`,
  ], cacheDir);
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) throw new Error(`Maven finished but ${libs} has no kafka_2.13-${KAFKA_VERSION}.jar`);
  writeFileSync(marker, `${jars.length} jars\n`);
  return libs;
}
