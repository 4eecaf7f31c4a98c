// Copies into OUT/node_modules only the installed packages the image's bundles can load:
// the third-party packages they import (esbuild's metafile), then, transitively, each
// package's dependencies, optionalDependencies and non-optional peerDependencies, resolved
// the way Node resolves them (nested node_modules first). Dev tools that npm keeps as
// optional peers of production packages (prisma and typescript, peers of @prisma/client)
// are left out.   node scripts/docker/prod-modules.mjs dist/meta.json OUT
import { builtinModules } from 'node:module';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [metaFile, out] = process.argv.slice(2);
const root = path.resolve(import.meta.dirname, '../..');
const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
const builtins = new Set(builtinModules);
const pkgName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

const roots = new Set();
for (const output of Object.values(meta.outputs)) {
  for (const imp of output.imports ?? []) {
    if (!imp.external || imp.path.startsWith('node:') || builtins.has(imp.path.split('/')[0])) continue;
    roots.add(pkgName(imp.path));
  }
}

/** The directory Node would load `name` from, starting at `fromDir`. */
function resolve(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return null;
  }
}

const seen = new Set();
const queue = [...roots].map((name) => ({ name, from: root, required: true }));
while (queue.length) {
  const { name, from, required } = queue.shift();
  const dir = resolve(name, from);
  if (!dir) {
    if (required) throw new Error(`${name} (needed from ${path.relative(root, from) || '.'}) is not installed`);
    continue;
  }
  if (seen.has(dir)) continue;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, required: true });
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, required: false });
  for (const dep of Object.keys(pkg.peerDependencies ?? {})) {
    if (!pkg.peerDependenciesMeta?.[dep]?.optional) queue.push({ name: dep, from: dir, required: false });
  }
}

for (const dir of seen) {
  // a nested node_modules is copied package by package, only where something needs it
  cpSync(dir, path.join(out, path.relative(root, dir)), { recursive: true, filter: (src) => path.relative(dir, src).split(path.sep)[0] !== 'node_modules' });
}
console.log(`${roots.size} packages imported by the bundles, ${seen.size} installed packages copied`);
