// Rebuilds only the parts of dist/ that are older than their sources, so a command
// run right after `npm ci` (which built everything through `prepare`) starts at once
// instead of paying asc + tsc again (issue 9: 16.9 s wall for a 1.3 s word count).
//
// Policy: a part is stale when its output is missing or any of its inputs has a newer
// modification time than the output. The kernels' output is dist/kernels/kiln.wasm
// (asc rewrites it on every build); the TypeScript's is dist/.tsbuildinfo, which an
// incremental tsc does not rewrite when nothing changed, so this script touches it
// after a build it ran, or a touched-but-unchanged source would rebuild every time.
// `npm run build` stays the way to force a full build.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time (ms) of the files under `dir` whose names end in one of `exts`. */
function newestUnder(dir, exts) {
  let newest = 0;
  const abs = join(root, dir);
  if (!existsSync(abs)) return newest;
  for (const entry of readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !exts.some((ext) => entry.name.endsWith(ext))) continue;
    const parent = entry.parentPath ?? entry.path;
    // bench/data holds generated corpora, never sources.
    if (parent.includes(`${join(root, 'bench', 'data')}`)) continue;
    newest = Math.max(newest, statSync(join(parent, entry.name)).mtimeMs);
  }
  return newest;
}

/** The modification time (ms) of a file under the root, or -1 when it is missing. */
function mtime(path) {
  const abs = join(root, path);
  return existsSync(abs) ? statSync(abs).mtimeMs : -1;
}

/** Runs an installed binary of node_modules/.bin in the root; exits with its code when it fails. */
function run(bin, args) {
  const result = spawnSync(join(root, 'node_modules', '.bin', bin), args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const configs = ['package.json', 'package-lock.json'].map(mtime);

const kernelOut = mtime('dist/kernels/kiln.wasm');
const kernelIn = Math.max(newestUnder('kernels', ['.ts']), mtime('asconfig.json'), ...configs);
if (kernelOut < 0 || kernelIn > kernelOut) {
  console.error('kiln: kernels are out of date; building them (asc)');
  run('asc', ['kernels/index.ts', '--config', 'asconfig.json', '--target', 'release']);
}

const tsOut = Math.min(mtime('dist/.tsbuildinfo'), mtime('dist/cli/main.js'));
const tsIn = Math.max(
  ...['engine', 'cli', 'bench', 'test'].map((dir) => newestUnder(dir, ['.ts', '.cts'])),
  mtime('tsconfig.json'),
  ...configs,
);
if (tsOut < 0 || tsIn > tsOut) {
  console.error('kiln: TypeScript is out of date; building it (tsc)');
  // An incremental tsc trusts its build info and would not re-emit a deleted output.
  if (mtime('dist/cli/main.js') < 0) rmSync(join(root, 'dist', '.tsbuildinfo'), { force: true });
  run('tsc', ['-p', 'tsconfig.json']);
  chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);
  const now = new Date();
  utimesSync(join(root, 'dist', '.tsbuildinfo'), now, now);
  utimesSync(join(root, 'dist', 'cli', 'main.js'), now, now);
}
