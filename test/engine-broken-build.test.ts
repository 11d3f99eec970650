// A task module that fails to load must fail the job with a clear error, not kill the
// driver process. piscina reports a worker that throws outside a task as an 'error'
// event on the pool; unhandled, that event ended the process.
//
// The seam is a temporary copy of the built engine whose worker.js imports a file that
// is not there (a half-written build): nothing in the engine knows it is under test.
// The copy runs in a child process, so a crash fails this test instead of the suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A copy of dist/engine and dist/kernels whose task module cannot be imported. */
function brokenBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-broken-build-'));
  cpSync(join(ROOT, 'dist/engine'), join(dir, 'dist/engine'), { recursive: true });
  cpSync(join(ROOT, 'dist/kernels'), join(dir, 'dist/kernels'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const worker = join(dir, 'dist/engine/executor/runtime/worker.js');
  writeFileSync(worker, `import './not-built.js';\n${readFileSync(worker, 'utf8')}`);
  return dir;
}

/**
 * The child: a job on a fresh context (its workers still loading), a second job on the
 * same context, and a job on a context whose workers have had time to fail while idle.
 * Prints one line per job.
 */
const CHILD = `
const { Kiln } = await import(process.argv[1]);
const job = async (kiln) => {
  try {
    const out = await kiln.parallelize([1, 2, 3], 2).map((x) => x * 2).collect();
    return 'ok ' + out.join(',');
  } catch (e) {
    return e.name + ' ' + e.kind + ': ' + e.message;
  }
};
const first = await Kiln.start({ workers: 2 });
console.log(await job(first));
console.log(await job(first));
await first.stop();
const idle = await Kiln.start({ workers: 2 });
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log(await job(idle));
await idle.stop();
console.log('exited normally');
`;

test('a task module that fails to import fails the jobs with a one-line KilnError, and the process lives', () => {
  const dir = brokenBuild();
  try {
    const entry = new URL(`file://${join(dir, 'dist/engine/index.js')}`).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, entry], { encoding: 'utf8', timeout: 30_000 });
    const detail = `status ${r.status}, signal ${r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(0, 3000)}`;
    assert.is(r.status, 0, detail);
    assert.not.match(r.stderr, /Unhandled|Emitted 'error' event/, detail);
    const lines = r.stdout.trimEnd().split('\n');
    assert.is(lines.length, 4, detail);
    for (const line of lines.slice(0, 3)) {
      assert.match(line, /^KilnError internal: kiln's worker threads cannot load the task module \S*worker\.js: .*not-built\.js.*; rebuild kiln \(npm run build\)/, detail);
    }
    assert.is(lines[3], 'exited normally', detail);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
