// Region lifetimes on the word-count path, end to end, in inline mode (the CLI's mode
// for small inputs): every region the allocators hand out is filled with 'Y' and
// every region they take back with 'X', so a key read from memory that was never
// written, or after it was freed, comes out as a wrong (upper-case) word; garbage
// collection is forced at every task start and stage end, so a shuffle dropped by the
// FinalizationRegistry while a job still needs it would be freed (and poisoned) before
// its reduce task runs. Answers are checked against the plain-TS reference.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln } from '../engine/index.js';
import type { JobListener } from '../engine/driver/plan/dag-scheduler.js';
import { RegionAllocator } from '../engine/executor/memory/allocator.js';
import type { MapOutputTracker } from '../engine/driver/scheduler/map-output-tracker.js';
import type { Region } from '../engine/executor/memory/region.js';
import { randInt, rng } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-lifetimes-'));

/** A full, synchronous GC (scripts/test.mjs runs node with --expose-gc; else enable it). */
const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

/** Lets FinalizationRegistry callbacks queued by a GC run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

// ---- poisoning every allocator in this thread (installed for this file's tests only)
const POISON_FREED = 0x58; // 'X'
const POISON_NEW = 0x59; // 'Y'
const proto = RegionAllocator.prototype as unknown as {
  alloc(size: number, align?: number): Region;
  release(region: Region): void;
};
const original = { alloc: proto.alloc, release: proto.release };
function bytesOf(a: RegionAllocator): Uint8Array {
  return new Uint8Array((a as unknown as { memory: WebAssembly.Memory }).memory.buffer);
}
test.before(() => {
  proto.alloc = function (this: RegionAllocator, size: number, align?: number): Region {
    const r = original.alloc.call(this, size, align);
    bytesOf(this).fill(POISON_NEW, r.ptr, r.ptr + r.size);
    return r;
  };
  proto.release = function (this: RegionAllocator, region: Region): void {
    const size = (this as unknown as { live: Map<number, number> }).live.get(region.ptr);
    original.release.call(this, region);
    if (size !== undefined) bytesOf(this).fill(POISON_FREED, region.ptr, region.ptr + size);
  };
});
test.after(() => {
  proto.alloc = original.alloc;
  proto.release = original.release;
  rmSync(dir, { recursive: true, force: true });
});

// ---- inputs
const DICKENS = 'It was the best of times, it was the worst of times,\nit was the age of wisdom, it was the age of foolishness,\n';

/** Mixed-case words of 1-30 letters (both key paths: < 16 bytes and longer), in lines. */
function mixedCaseText(seed: number, words: number): string {
  const r = rng(seed);
  const vocab = Array.from({ length: 300 }, () => {
    const len = 1 + randInt(r, randInt(r, 4) === 0 ? 30 : 10);
    return Array.from({ length: len }, () => String.fromCharCode((randInt(r, 2) ? 0x41 : 0x61) + randInt(r, 26))).join('');
  });
  const lines: string[] = [];
  let line: string[] = [];
  for (let i = 0; i < words; i++) {
    line.push(vocab[Math.floor(vocab.length * r() ** 2)]!);
    if (randInt(r, 12) === 0) {
      lines.push(line.join(randInt(r, 2) ? ' ' : '\t'));
      line = [];
    }
  }
  lines.push(line.join(' '));
  return `${lines.join('\n')}\n`;
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** [word, count] sorted by word: the reference answer (lowercased, whitespace split). */
function reference(text: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const w of text.split(/[ \t\n\v\f\r]+/)) if (w !== '') counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0) + 1);
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function byWord(rows: readonly (readonly [string, number])[]): [string, number][] {
  return rows.map(([w, c]) => [w, c] as [string, number]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A listener that forces a full GC at every task start and stage end. */
function gcEverywhere(onGc: () => void = () => undefined): JobListener {
  return {
    onTaskStart: () => {
      gc();
      onGc();
    },
    onStageCompleted: () => {
      gc();
      onGc();
    },
  };
}

interface Internals {
  tracker: MapOutputTracker;
  tasks: { budget: { shuffleBytesInUse: number } };
}
const internals = (kiln: Kiln): Internals => kiln as unknown as Internals;

const dickens = write('dickens.txt', DICKENS);
const mixed = write('mixed.txt', mixedCaseText(7, 40_000));

test('inline word count under poisoned memory and forced GC matches the reference', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '16m', workerMemory: '64m' });
  try {
    kiln.setListener(gcEverywhere());
    for (const [path, text] of [[dickens, DICKENS], [mixed, mixedCaseText(7, 40_000)]] as const) {
      for (const minPartitions of [1, 3]) {
        const rows = await kiln.textFile(path, { minPartitions }).words({ lowercase: true }).valueCounts(2).collect();
        assert.equal(byWord(rows), reference(text), `${path}, ${minPartitions} splits`);
      }
    }
  } finally {
    await kiln.stop();
  }
});

test('a dataset nobody else holds stays alive (its shuffle kept) while its own job runs, and is dropped after', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '16m', workerMemory: '64m' });
  try {
    let weak: WeakRef<object> | undefined;
    let collectedMidJob = 0;
    kiln.setListener(gcEverywhere(() => void (weak && weak.deref() === undefined && collectedMidJob++)));
    const job = (): Promise<[string, number][]> => {
      const counts = kiln.textFile(mixed, { minPartitions: 2 }).words({ lowercase: true }).valueCounts(3);
      weak = new WeakRef(counts);
      return counts.collect();
    };
    const rows = await job();
    assert.is(collectedMidJob, 0, 'the dataset was garbage-collected while its own job ran');
    assert.equal(byWord(rows), reference(mixedCaseText(7, 40_000)));
    // After the job nothing holds it: GC drops it and its shuffle output is freed.
    for (let i = 0; i < 5 && weak!.deref() !== undefined; i++) {
      gc();
      await settle();
    }
    gc();
    await settle();
    assert.is(weak!.deref(), undefined, 'the dataset is collectable after its job');
    assert.equal(internals(kiln).tracker.shuffleIds, [], 'its shuffle was dropped');
    assert.is(internals(kiln).tasks.budget.shuffleBytesInUse, 0, 'and its shuffle memory freed');
  } finally {
    await kiln.stop();
  }
});

test('countByValue (an intermediate valueCounts dataset) under forced GC', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '16m', workerMemory: '64m' });
  try {
    kiln.setListener(gcEverywhere());
    const counts = await kiln.textFile(dickens).words({ lowercase: true }).countByValue();
    assert.equal(byWord([...counts]), reference(DICKENS));
  } finally {
    await kiln.stop();
  }
});

test('shuffle output reused by a later job survives other shuffles being made, dropped and reused', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '16m', workerMemory: '64m' });
  try {
    kiln.setListener(gcEverywhere());
    const counts = kiln.textFile(mixed, { minPartitions: 3 }).words({ lowercase: true }).valueCounts(2);
    const first = byWord(await counts.collect());
    for (let i = 0; i < 4; i++) {
      // Other shuffles come and go; their regions are freed (poisoned) and handed out again.
      const other = await kiln.textFile(dickens).words({ lowercase: i % 2 === 0 }).valueCounts().collect();
      assert.ok(other.length > 0);
      gc();
      await settle();
    }
    const again = byWord(await counts.collect());
    assert.ok(kiln.lastJobMetrics!.stages.some((s) => s.skipped), 'the map stage was skipped (output reused)');
    assert.equal(again, first);
    assert.equal(first, reference(mixedCaseText(7, 40_000)));
  } finally {
    await kiln.stop();
  }
});

test('inline contexts taking turns in one thread, with jobs interleaved, keep their answers apart', async () => {
  const a = await Kiln.start({ workers: 0, memory: '16m', workerMemory: '32m' });
  const b = await Kiln.start({ workers: 0, memory: '16m', workerMemory: '32m' });
  try {
    a.setListener(gcEverywhere());
    b.setListener(gcEverywhere());
    const other = write('other.txt', mixedCaseText(11, 20_000));
    const jobs = [
      a.textFile(mixed, { minPartitions: 3 }).words({ lowercase: true }).valueCounts(2).collect(),
      b.textFile(other, { minPartitions: 2 }).words({ lowercase: true }).valueCounts(3).collect(),
      a.textFile(dickens).words({ lowercase: true }).valueCounts().collect(),
      b.textFile(dickens, { minPartitions: 2 }).words({ lowercase: true }).valueCounts().collect(),
    ];
    const [ra, rb, rc, rd] = await Promise.all(jobs);
    assert.equal(byWord(ra!), reference(mixedCaseText(7, 40_000)));
    assert.equal(byWord(rb!), reference(mixedCaseText(11, 20_000)));
    assert.equal(byWord(rc!), reference(DICKENS));
    assert.equal(byWord(rd!), reference(DICKENS));
    await a.stop();
    assert.equal(byWord(await b.textFile(mixed).words({ lowercase: true }).valueCounts().collect()), reference(mixedCaseText(7, 40_000)));
  } finally {
    await a.stop();
    await b.stop();
  }
});

test.run();
