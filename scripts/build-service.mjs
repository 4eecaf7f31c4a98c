// Bundles a service's src/main.ts (and the workspace packages it imports) into dist/main.js.
// Third-party packages stay external and are loaded from node_modules at run time.
import { build } from 'esbuild';
import path from 'node:path';

const cwd = process.cwd();
await build({
  entryPoints: [path.join(cwd, 'src/main.ts')],
  outfile: path.join(cwd, 'dist/main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-node-modules',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@hub/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
console.log(`built ${path.relative(process.cwd(), path.join(cwd, 'dist/main.js'))}`);
