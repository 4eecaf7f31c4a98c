import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { javaExecutable, jvmArgs, type JvmOptions } from './java.ts';
import { runCommand } from './run-command.ts';

/** True once `kafka-storage format` has written meta.properties into the data dir. */
export function isFormatted(kraftDir: string): boolean {
  return existsSync(path.join(kraftDir, 'meta.properties'));
}

/** The cluster.id recorded in a formatted data dir, or null. */
export function formattedClusterId(kraftDir: string): string | null {
  if (!isFormatted(kraftDir)) return null;
  const match = /^cluster\.id=(.+)$/m.exec(readFileSync(path.join(kraftDir, 'meta.properties'), 'utf8'));
  return match?.[1]?.trim() ?? null;
}

/**
 * `kafka-storage format` (kafka.tools.StorageTool) for a static-quorum node: a plain
 * format suffices with controller.quorum.voters. A formatted dir is kept as it is.
 */
export async function formatStorage(o: { jvm: JvmOptions; propsFile: string; kraftDir: string; clusterId: string }): Promise<void> {
  if (isFormatted(o.kraftDir)) return;
  const args = jvmArgs({ ...o.jvm, heapMb: 256 }, 'kafka.tools.StorageTool', [
    'format', `--cluster-id=${o.clusterId}`, `--config=${o.propsFile}`, '--ignore-formatted',
  ]);
  try {
    await runCommand(javaExecutable(), args, { cwd: path.dirname(o.propsFile), timeoutMs: 120_000, label: 'kafka-storage format (kafka.tools.StorageTool)' });
  } catch (err) {
    throw new Error(`formatting Kafka storage for ${o.propsFile} failed: ${(err as Error).message}`);
  }
}
