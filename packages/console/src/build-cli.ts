import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole, writeConsole } from './build.ts';

/** `npm run build -w packages/console`: writes the console to packages/console/dist (or argv[2]) and prints the sizes. */
const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const started = performance.now();
const bundle = await buildConsole();
await writeConsole(bundle, out);
for (const s of bundle.sizes) console.log(`${s.file.padEnd(24)} ${String(s.bytes).padStart(8)} B  ${String(s.gzipBytes).padStart(7)} B gzip`);
const total = bundle.sizes.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip: t.gzip + s.gzipBytes }), { bytes: 0, gzip: 0 });
console.log(`${'total'.padEnd(24)} ${String(total.bytes).padStart(8)} B  ${String(total.gzip).padStart(7)} B gzip — built in ${Math.round(performance.now() - started)} ms into ${out}`);
