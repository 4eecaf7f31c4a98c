import { existsSync } from 'node:fs';
import path from 'node:path';

/** `$JAVA_HOME/bin/java` when set, else `java` on the PATH. */
export function javaExecutable(): string {
  const home = process.env.JAVA_HOME;
  const candidate = home ? path.join(home, 'bin', 'java') : '';
  return candidate && existsSync(candidate) ? candidate : 'java';
}

export interface JvmOptions {
  libsDir: string;
  heapMb: number;
  log4jFile: string;
  logDir: string;
  extra?: string[];
}

/**
 * JVM arguments, after kafka-run-class.sh (G1, short pauses) but with a modest heap and a
 * small initial one, then the class path (libs/*) and `main args…`.
 */
export function jvmArgs(o: JvmOptions, main: string, args: string[]): string[] {
  return [
    `-Xmx${o.heapMb}m`,
    `-Xms${Math.min(o.heapMb, 128)}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${o.log4jFile}`,
    `-Dkafka.logs.dir=${o.logDir}`,
    ...(o.extra ?? []),
    '-cp', path.join(o.libsDir, '*'),
    main,
    ...args,
  ];
}
