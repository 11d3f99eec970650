// Directories left by processes that died without cleaning up (SIGKILL): a later run
// removes spill directories (kiln-<pid>-*) and temporary output directories
// (.<name>.kiln-tmp-<pid>-*) whose pid no longer exists, says so on stderr, and keeps
// those of live processes and anything that is not kiln's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, sweepStale } from '../engine/executor/io/stale.js';
import { kiln, tempDir } from './support/cli.js';

const dir = tempDir('stale');

/** A pid that no process has: a child that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const pid = Number(r.stdout.toString());
  assert.not.ok(processAlive(pid));
  return pid;
}

test('sweepStale removes only dead processes\' kiln directories', () => {
  const base = join(dir, 'sweep');
  mkdirSync(base);
  const dead = deadPid();
  const names = [`kiln-${dead}-abc123`, `kiln-${process.pid}-live1`, 'kiln-notapid-x', 'unrelated', `.out.kiln-tmp-${dead}-0a1b`, `.out.kiln-tmp-${process.pid}-0a1b`];
  for (const n of names) {
    mkdirSync(join(base, n));
    writeFileSync(join(base, n, 'data'), 'x');
  }
  writeFileSync(join(base, `kiln-${dead}-file`), 'a file, not a directory');
  assert.equal(sweepStale(base, 'spill').map((d) => d.pid), [dead]);
  assert.equal(sweepStale(base, 'output').map((d) => d.pid), [dead]);
  assert.equal(readdirSync(base).sort(), [`.out.kiln-tmp-${process.pid}-0a1b`, `kiln-${dead}-file`, `kiln-${process.pid}-live1`, 'kiln-notapid-x', 'unrelated'].sort());
  assert.equal(sweepStale(join(dir, 'missing'), 'spill'), []);
});

test('the CLI removes stale spill and output directories and says so', () => {
  const tmp = join(dir, 'tmp');
  const outParent = join(dir, 'outputs');
  mkdirSync(tmp);
  mkdirSync(outParent);
  const dead = deadPid();
  const spill = join(tmp, `kiln-${dead}-zz9`);
  const output = join(outParent, `.result.kiln-tmp-${dead}-beef`);
  mkdirSync(spill);
  mkdirSync(output);
  writeFileSync(join(output, 'part-00000'), 'half-written');
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'b a b\n');
  const r = kiln(['wordcount', '-q', input, '--output', join(outParent, 'result')], { env: { TMPDIR: tmp } });
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(existsSync(spill));
  assert.not.ok(existsSync(output));
  assert.match(r.stderr, new RegExp(`removed .*kiln-${dead}-zz9, left by process ${dead}, which no longer runs`));
  assert.match(r.stderr, /removed .*\.result\.kiln-tmp-/);
  assert.ok(existsSync(join(outParent, 'result', '_SUCCESS')));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
