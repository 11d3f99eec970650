// pipe() (issue 12): one process per partition, records as lines on its stdin, its
// stdout lines back, against a plain-JS reference, with workers 0, 1 and 2 and 1, 3
// and 17 partitions; env passed; a failing command fails the job with its status and
// stderr; a command that reads nothing; a command that never exits is killed when the
// job is aborted with an AbortSignal (workers 1 and 2: with 0 the driver thread itself
// waits for the command), and nothing of it is left running.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln } from '../engine/index.js';
import { splitCommand } from '../engine/executor/runtime/pipe.js';
import { rejects } from './support/rejects.js';

const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`);

/** Process ids whose process group is `pgid` and that are not zombies (Linux /proc). */
function runningInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Waits for a job's running pipe commands to be recorded; returns their process groups. */
async function recordedGroups(spillDir: string, want: number): Promise<number[]> {
  const root = join(spillDir, 'pipes');
  // An event wait, not a timing check: bounded only so a broken pipe() cannot hang the suite.
  for (let i = 0; i < 2000; i++) {
    const groups = existsSync(root)
      ? readdirSync(root).flatMap((job) => (existsSync(join(root, job)) ? readdirSync(join(root, job)) : [])).filter((n) => n.startsWith('pgid-')).map((n) => Number(n.slice(5)))
      : [];
    if (groups.length >= want) return groups;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('pipe commands never started');
}

test('splitCommand splits as shlex.split does', () => {
  assert.equal(splitCommand(`tr  a-z 'A-Z'`), ['tr', 'a-z', 'A-Z']);
  assert.equal(splitCommand(`sh -c "echo \\"hi\\" \\$HOME" x\\ y ''`), ['sh', '-c', 'echo "hi" $HOME', 'x y', '']);
  assert.throws(() => splitCommand(`echo 'open`), /unclosed single quote/);
});

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    test(name('pipe: records through a command, per partition, with env'), async () => {
      assert.equal(await kiln.parallelize(lines, parts).pipe('tr a-z A-Z').collect(), lines.map((l) => l.toUpperCase()));
      const counts = await kiln.parallelize(lines, parts).pipe(['sh', '-c', 'wc -l']).collect();
      assert.equal(counts.map((c) => Number(c.trim())), (await kiln.parallelize(lines, parts).glom().collect()).map((g) => g.length));
      assert.equal(await kiln.parallelize([['a', 1]], 1).pipe('cat').collect(), ["('a', 1)"], "records as PySpark's str()");
      const env = await kiln.parallelize([1], 1).pipe(['sh', '-c', 'echo "$KILN_TEST_VAR"'], { env: { KILN_TEST_VAR: 'from env' } }).collect();
      assert.equal(env, ['from env']);
    });

    test(name('pipe: a command that reads nothing, a failing command'), async () => {
      assert.equal(await kiln.parallelize(lines, parts).pipe(['echo', 'hi']).collect(), Array.from({ length: parts }, () => 'hi'));
      await rejects(
        () => kiln.parallelize(lines, parts).pipe(['sh', '-c', 'cat > /dev/null; echo "it broke" >&2; exit 3']).collect(),
        /pipe command "sh -c .*" \(partition \d+\) exited with status 3; its stderr ends: it broke/,
      );
      await rejects(() => kiln.parallelize([1], 1).pipe('no-such-command-kiln').collect(), /exited with status 127/);
      assert.throws(() => kiln.parallelize([1]).pipe([]), /pipe needs a command/);
    });
  }

  {
    // With workers 0 the command runs on the user-code thread (engine/driver/scheduler/user-code.ts), one partition at a time.
    const running = Math.max(1, workers);
    test(`pipe: a command that never exits is killed when the job is aborted [workers=${workers}]`, async () => {
      const stop = new AbortController();
      const job = kiln.parallelize([1, 2], running).pipe(['sh', '-c', 'sleep 1000']).collect({ signal: stop.signal });
      const groups = await recordedGroups(kiln.options.spillDir, running);
      assert.ok(groups.every((g) => runningInGroup(g).length > 0), 'the commands run');
      stop.abort();
      await rejects(() => job, /abort|cancel/i);
      // SIGKILL is delivered asynchronously: wait (bounded) for the group to be gone.
      for (const g of groups) {
        for (let i = 0; i < 500 && runningInGroup(g).length > 0; i++) await new Promise((res) => setTimeout(res, 10));
        assert.equal(runningInGroup(g), [], `process group ${g} was killed`);
      }
      assert.is(existsSync(join(kiln.options.spillDir, 'pipes')) ? readdirSync(join(kiln.options.spillDir, 'pipes')).length : 0, 0, 'no records left');
      assert.equal(await kiln.parallelize([1, 2], 2).pipe('cat').collect(), ['1', '2'], 'the workers stay usable');
    });
  }

  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.run();
