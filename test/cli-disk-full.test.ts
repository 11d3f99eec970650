// Write failures of every command, run as a user runs kiln: a full disk under
// --output (a small tmpfs this test mounts and unmounts itself), stdout redirected to
// a file on that full disk, and /dev/full. Each must exit 1 with one line naming the
// destination, never write _SUCCESS, leave no temporary directory, and with
// --overwrite keep the previous output whole. Without root (no mount) only the
// /dev/full cases run, and the skip is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KILN, tempDir } from './support/cli.js';

const dir = tempDir('full');
const input = join(dir, 'input.txt');
// ~3 MB of distinct lines, each one word: every command's output is larger than the
// 1 MiB disk below (grep '.' and sort print all of it; wordcount and distinct too).
writeFileSync(input, Array.from({ length: 200_000 }, (_, i) => `w${(i * 7919) % 200_000}x${i}`).join('\n') + '\n');

const mountPoint = join(dir, 'disk');
mkdirSync(mountPoint);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]).status === 0;
if (!mounted) console.log('  (cli-disk-full: cannot mount a tmpfs here — not root? — so only the /dev/full cases run)');
const unmount = (): void => {
  if (mounted) spawnSync('umount', ['-l', mountPoint]);
};
process.on('exit', unmount);

/** The command lines under test: every command, on the parallel path (2 workers, several splits and partitions). */
const COMMANDS: readonly (readonly string[])[] = [
  ['wordcount', input],
  ['grep', '.', input],
  ['distinct', input],
  ['distinct', '--count', input],
  ['sort', input],
];
const ENGINE = ['--workers', '2', '--split-size', '512k', '--partitions', '3', '--quiet'];

/** Runs kiln with stdout going to the file descriptor `stdout`. */
function run(args: readonly string[], stdout: number | 'pipe' = 'pipe'): { code: number | null; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [KILN, ...args], { env, stdio: ['ignore', stdout, 'pipe'], maxBuffer: 1 << 28 });
  return { code: r.status, stderr: r.stderr.toString() };
}

function assertFailedCleanly(r: { code: number | null; stderr: string }, what: string, destination: RegExp): void {
  assert.is(r.code, 1, `${what}: exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^kiln: error: .*no space left on device writing /, `${what}: message`);
  assert.match(r.stderr, destination, `${what}: names the destination`);
  assert.is(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line, no stack trace: ${r.stderr}`);
}

test('stdout to /dev/full: every command exits 1 with one line', () => {
  for (const args of COMMANDS) {
    const full = openSync('/dev/full', 'w');
    try {
      assertFailedCleanly(run([...args, ...ENGINE], full), `${args.join(' ')} > /dev/full`, /standard output/);
    } finally {
      closeSync(full);
    }
  }
});

test('--output on a full disk: exit 1, no _SUCCESS, no temporary directory', () => {
  if (!mounted) return;
  for (const args of COMMANDS) {
    const out = join(mountPoint, 'out');
    const r = run([...args, ...ENGINE, '--output', out]);
    assertFailedCleanly(r, `${args.join(' ')} --output`, /disk\/out\/part-00000/);
    assert.not.ok(existsSync(out), `${args.join(' ')}: no output directory`);
    assert.equal(readdirSync(mountPoint), [], `${args.join(' ')}: nothing left on the disk`);
  }
});

test('stdout to a file on a full disk: exit 1', () => {
  if (!mounted) return;
  for (const args of COMMANDS) {
    const path = join(mountPoint, 'stdout.txt');
    const fd = openSync(path, 'w');
    try {
      assertFailedCleanly(run([...args, ...ENGINE], fd), `${args.join(' ')} > full disk`, /standard output/);
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
  }
});

test('--overwrite keeps the previous output when the new one fails', () => {
  if (!mounted) return;
  const small = join(dir, 'small.txt');
  writeFileSync(small, 'b\na\nb\n');
  const out = join(mountPoint, 'kept');
  for (const args of COMMANDS) {
    rmSync(out, { recursive: true, force: true });
    const first = run([args[0]!, ...args.slice(1, -1), small, '--quiet', '--output', out]);
    assert.is(first.code, 0, first.stderr);
    const before = readFileSync(join(out, 'part-00000'));
    assert.ok(existsSync(join(out, '_SUCCESS')));
    const r = run([...args, ...ENGINE, '--output', out, '--overwrite']);
    assertFailedCleanly(r, `${args.join(' ')} --overwrite`, /disk\/kept\/part-00000/);
    assert.equal(readFileSync(join(out, 'part-00000')), before, `${args.join(' ')}: old output intact`);
    assert.ok(existsSync(join(out, '_SUCCESS')));
    assert.equal(readdirSync(mountPoint), ['kept'], `${args.join(' ')}: no temporary directory left`);
  }
});

test.after(() => {
  unmount();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
