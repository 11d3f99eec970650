// Checkpoints end to end: a reliable checkpoint (setCheckpointDir + checkpoint) and a
// local one, each against a plain-JS reference with workers 0, 1 and 2 and several
// partition counts: the answer is the reference's before and after, the lineage is
// truncated (toDebugString/explain show the checkpoint, not the input; the mapped
// function is not called again, counted with an accumulator), and the dataset
// survives deletion of its input file. A checkpoint that cannot be written fails
// the action and leaves the dataset uncheckpointed, to be retried. Bad input:
// checkpoint() with no directory, a checkpoint directory that cannot be written
// (refused before any job), an empty path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kiln, KilnError } from '../engine/index.js';
import { randInt, rng } from './support/random.js';
import { tempDir } from './support/cli.js';
import { rejects } from './support/rejects.js';

function lines(seed: number, n: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => ['apple', 'fig', 'kiwi', 'plum', 'é日'][randInt(r, 5)]! + ' ' + randInt(r, 40));
}

/** Plain-JS reference: the count of each first word, sorted by word. */
function reference(xs: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const l of xs) {
    const w = l.split(' ')[0]!;
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const sorted = (xs: [string, number][]): [string, number][] => [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

for (const workers of [0, 1, 2]) {
  for (const reliable of [true, false]) {
    test(`${reliable ? 'checkpoint' : 'localCheckpoint'} truncates lineage and survives deletion of the input (workers ${workers})`, async () => {
      const dir = tempDir('checkpoint');
      const kiln = await Kiln.start({ workers, memory: '64m' });
      try {
        if (reliable) kiln.setCheckpointDir(join(dir, 'ckpt'));
        for (const parts of [1, 3, 7]) {
          const xs = lines(parts * 17 + workers, 2000);
          const input = join(dir, `in-${parts}.txt`);
          writeFileSync(input, xs.join('\n') + '\n');
          const calls = kiln.longAccumulator();
          const pairs = kiln.textFile(input, { minPartitions: parts }).map((l) => {
            calls.add(1);
            return [l.split(' ')[0]!, 1] as [string, number];
          }, { calls });
          const counted = pairs.reduceByKey((a, b) => a + b, parts);
          const words = pairs.map(([w]) => w);
          if (reliable) counted.checkpoint();
          else counted.localCheckpoint();
          words.localCheckpoint();
          assert.not.ok(counted.isCheckpointed());
          assert.is(counted.getCheckpointFile(), undefined);
          assert.match(counted.toDebugString(), /textFile/);

          assert.equal(sorted(await counted.collect()), reference(xs), `${parts} partitions: the action that writes the checkpoint`);
          assert.ok(counted.isCheckpointed());
          assert.not.ok(words.isCheckpointed(), 'a marked dataset no action reached is not written');
          const debug = counted.toDebugString();
          assert.match(debug, reliable ? /ReliableCheckpoint/ : /LocalCheckpoint/);
          assert.not.match(debug, /textFile|shuffle read/, 'the lineage is truncated');
          assert.match(counted.explain(), reliable ? /ReliableCheckpoint/ : /LocalCheckpoint/);
          const file = counted.getCheckpointFile();
          if (reliable) {
            assert.ok(file && file.startsWith(kiln.getCheckpointDir()!), `${file} is under the checkpoint directory`);
            const parts_ = readdirSync(file!).filter((f) => f.startsWith('part-'));
            assert.is(parts_.length, counted.getNumPartitions());
          } else assert.is(file, undefined);

          const before = calls.value;
          assert.ok(before >= xs.length);
          rmSync(input);
          assert.equal(sorted(await counted.collect()), reference(xs), `${parts} partitions: read from the checkpoint after the input is deleted`);
          assert.is(await counted.count(), reference(xs).length);
          const total = await counted.map(([, n]) => n).reduce((a, b) => a + b);
          assert.is(total, xs.length, 'a dataset derived from the checkpoint');
          assert.is(calls.value, before, 'the lineage before the checkpoint is never computed again');
        }
      } finally {
        await kiln.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

test('a checkpoint of a parallelized dataset keeps records of every type (workers 2)', async () => {
  const dir = tempDir('checkpoint');
  const kiln = await Kiln.start({ workers: 2, memory: '64m' });
  try {
    kiln.setCheckpointDir(dir);
    const r = rng(7);
    const xs = Array.from({ length: 500 }, (_, i) => (i % 4 === 0 ? { i, s: 'x'.repeat(randInt(r, 9)) } : i % 4 === 1 ? [i, null] : i % 4 === 2 ? `s${i}` : randInt(r, 1e6) / 7));
    const ds = kiln.parallelize(xs, 5);
    ds.checkpoint();
    assert.equal(await ds.collect(), xs);
    assert.ok(ds.isCheckpointed());
    assert.equal(await ds.collect(), xs);
    assert.equal(await ds.take(3), xs.slice(0, 3));
  } finally {
    await kiln.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint that cannot be written fails the action, names the dataset, and is tried again by the next action (workers 1)', async () => {
  const dir = tempDir('checkpoint');
  const kiln = await Kiln.start({ workers: 1 });
  try {
    kiln.setCheckpointDir(dir);
    // The context's subdirectory replaced by a file: the checkpoint's commit cannot begin.
    const sub = kiln.getCheckpointDir()!;
    rmSync(sub, { recursive: true });
    writeFileSync(sub, 'x');
    const xs = Array.from({ length: 100 }, (_, i) => i * 3);
    const ds = kiln.parallelize(xs, 3);
    ds.checkpoint();
    await rejects(() => ds.collect(), new RegExp(`checkpoint of dataset ${ds.id} .* failed: .*ENOTDIR.*tries again`));
    assert.not.ok(ds.isCheckpointed());
    rmSync(sub);
    assert.equal(await ds.collect(), xs);
    assert.ok(ds.isCheckpointed());
    assert.equal(readdirSync(sub).filter((f) => f.includes('kiln-tmp')), [], 'no temporary directory is left');
    assert.equal(await ds.collect(), xs);
  } finally {
    await kiln.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: checkpoint() with no directory, an unwritable directory, an empty path', async () => {
  const dir = tempDir('checkpoint');
  const kiln = await Kiln.start({ workers: 0 });
  try {
    const ds = kiln.parallelize([1, 2, 3], 2);
    try {
      ds.checkpoint();
      assert.unreachable('checkpoint() with no directory');
    } catch (e) {
      assert.instance(e, KilnError);
      assert.is((e as KilnError).kind, 'usage');
      assert.match((e as Error).message, /no checkpoint directory.*setCheckpointDir/);
    }
    // A path under a regular file cannot be created, whoever runs the test (root included).
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const bad of [join(file, 'ckpt'), '']) {
      try {
        kiln.setCheckpointDir(bad);
        assert.unreachable(`setCheckpointDir(${JSON.stringify(bad)})`);
      } catch (e) {
        assert.instance(e, KilnError);
        assert.is((e as KilnError).kind, 'usage');
        assert.match((e as Error).message, bad ? /cannot write to .*a-file.*choose a directory/ : /non-empty path/);
      }
    }
    assert.is(kiln.getCheckpointDir(), undefined);
    assert.is(kiln.lastJobMetrics, undefined, 'no job ran');
    assert.not.ok(existsSync(join(file, 'ckpt')));
    assert.equal(await ds.collect(), [1, 2, 3], 'the context still works');
  } finally {
    await kiln.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
