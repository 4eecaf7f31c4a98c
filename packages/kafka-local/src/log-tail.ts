import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The last `lines` lines of a text file, or a note that it does not exist. */
export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no ${path.basename(file)})`;
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}

/** Tails of several logs under headers, for error messages. */
export function tailLogs(files: string[], lines = 30): string {
  return files.map((f) => `--- ${f}\n${tailFile(f, lines)}`).join('\n');
}
