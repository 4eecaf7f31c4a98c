// Compiles TypeScript to JavaScript with esbuild (no tsx at run time).
//
//   node ../../scripts/build-service.mjs        (a service's `npm run build`): bundles that
//       service's src/main.ts and the workspace packages it imports into dist/main.js;
//   node scripts/build-service.mjs --all DIR    (the Docker image): one bundle per program
//       of the image in DIR — every service (services/*/src/main.ts), the migration runner, the topic creator,
//       the operator CLI, both sandboxes — plus its entrypoint and health check.
//
// Workspace packages (@hub/*) are inlined; third-party packages stay external and are
// loaded from node_modules at run time, so the image needs production dependencies only.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const external = {
  name: 'external-node-modules',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@hub/') ? undefined : { path: args.path, external: true }));
  },
};
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [external],
};

/** Every services/<name> with a src/main.ts (a new service is in the image without an edit here). */
export const SERVICES = readdirSync(path.join(root, 'services')).filter((s) => existsSync(path.join(root, 'services', s, 'src/main.ts'))).sort();

if (process.argv[2] === '--all') {
  const out = path.resolve(process.argv[3] ?? 'dist');
  mkdirSync(out, { recursive: true });
  const entries = {
    ...Object.fromEntries(SERVICES.map((s) => [s, `services/${s}/src/main.ts`])),
    migrate: 'packages/db/src/migrate-cli.ts',
    'create-topics': 'scripts/create-topics.ts',
    'hub-cli': 'scripts/hub-cli.ts',
    'twilio-sandbox': 'packages/twilio-sandbox/src/cli.ts',
    'email-sandbox': 'packages/email-sandbox/src/cli.ts',
  };
  const result = await build({
    ...common,
    metafile: true,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(root, file)])),
    outdir: out,
    outExtension: { '.js': '.mjs' },
    // shared code between entry points goes into chunks instead of six copies
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  // which third-party packages the bundles import: scripts/docker/prod-modules.mjs
  writeFileSync(path.join(out, 'meta.json'), JSON.stringify(result.metafile));
  for (const f of ['entrypoint.sh', 'healthcheck.mjs']) copyFileSync(path.join(root, 'scripts/docker', f), path.join(out, f));
  console.log(`built ${Object.keys(entries).length} programs in ${path.relative(process.cwd(), out) || '.'}`);
} else {
  const cwd = process.cwd();
  await build({
    ...common,
    entryPoints: [path.join(cwd, 'src/main.ts')],
    outfile: path.join(cwd, 'dist/main.js'),
  });
  console.log(`built ${path.relative(process.cwd(), path.join(cwd, 'dist/main.js'))}`);
}
