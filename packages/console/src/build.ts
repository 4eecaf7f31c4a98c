import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Builds the console (web/main.ts: Preact + htm + uPlot) with esbuild into memory: one
 * minified ES module, one stylesheet, both named by their content hash, and index.html.
 * The gateway calls loadConsole() on the first request to /console and keeps the result;
 * `npm run build -w packages/console` writes the same files to packages/console/dist and
 * prints their sizes. CONSOLE_DIST_DIR serves a directory built that way instead (an image
 * without esbuild).
 */

export interface ConsoleAsset { body: Buffer; gzip: Buffer; type: string; etag: string }
export interface ConsoleBundle {
  /** By file name: 'index.html', 'main-<hash>.js', 'main-<hash>.css'. */
  assets: Map<string, ConsoleAsset>;
  sizes: { file: string; bytes: number; gzipBytes: number }[];
}

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' };

/** The policy of the console's pages: no inline or foreign script; inline styles for the email preview's HTML (its srcdoc frame inherits the policy). */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'",
  "frame-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const asset = (name: string, body: Buffer): ConsoleAsset => ({
  body, gzip: gzipSync(body, { level: 9 }), type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

const indexHtml = (js: string, css: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Notification Hub console</title>
<link rel="stylesheet" href="/console/${css}">
<script type="module" src="/console/${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`;

function bundleOf(files: [string, Buffer][]): ConsoleBundle {
  const assets = new Map(files.map(([name, body]) => [name, asset(name, body)] as const));
  return { assets, sizes: [...assets].map(([file, a]) => ({ file, bytes: a.body.length, gzipBytes: a.gzip.length })) };
}

export async function buildConsole(): Promise<ConsoleBundle> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('the console is built with esbuild (a devDependency), which is not installed here; build it with `npm run build -w packages/console` and set CONSOLE_DIST_DIR');
  }
  const result = await esbuild.build({
    entryPoints: [join(WEB, 'main.ts')], bundle: true, format: 'esm', minify: true, target: ['es2022'], write: false,
    outdir: '/console', entryNames: '[name]-[hash]', legalComments: 'none', logLevel: 'silent', define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files: [string, Buffer][] = result.outputFiles.map((f) => [f.path.slice(f.path.lastIndexOf('/') + 1), Buffer.from(f.contents)]);
  const js = files.find(([n]) => n.endsWith('.js'))?.[0];
  const css = files.find(([n]) => n.endsWith('.css'))?.[0];
  if (!js || !css) throw new Error('esbuild produced no script or stylesheet');
  return bundleOf([['index.html', Buffer.from(indexHtml(js, css))], ...files]);
}

/** Reads a directory written by writeConsole. */
export async function readConsole(dir: string): Promise<ConsoleBundle> {
  const names = await readdir(dir);
  return bundleOf(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as [string, Buffer])));
}

export async function writeConsole(bundle: ConsoleBundle, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, a] of bundle.assets) await writeFile(join(dir, name), a.body);
}

let loading: Promise<ConsoleBundle> | null = null;

/** The console of this process: built once (or read from CONSOLE_DIST_DIR); a failed build is tried again next time. */
export function loadConsole(env: NodeJS.ProcessEnv = process.env): Promise<ConsoleBundle> {
  loading ??= (env.CONSOLE_DIST_DIR ? readConsole(env.CONSOLE_DIST_DIR) : buildConsole()).catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}
