// Compressed input (.gz, .zst, .bz2; engine/executor/io/compressed.ts) against the same input
// uncompressed, with workers 0, 1 and 2 and several partition counts. Fixtures are made
// by the system's gzip, zstd and bzip2 (installed by .ci/run), so the decoders are
// checked against the reference encoders, not against themselves. Each compressed
// file holds two concatenated streams (members / frames / streams), as pigz, zstd -T
// and pbzip2 write, and is larger than one 4 MiB read chunk, so a chunk ends mid-file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln } from '../engine/index.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-io-compressed-'));
const r = rng(1111);
const vocabulary = ['kiln', 'spark', 'zstd', 'bzip2', 'ünïcode', 'a', 'b b', ''];
const lines = Array.from({ length: 400_000 }, (_, i) => `${i} ${vocabulary[randInt(r, vocabulary.length)]!}`);
const half = Math.floor(lines.length / 2);
const firstText = `${lines.slice(0, half).join('\n')}\n`;
const secondText = `${lines.slice(half).join('\n')}\r\n`;
writeFileSync(join(dir, 'plain.txt'), firstText + secondText);

/** Compresses `text` with the system tool `tool` (stdin to stdout). */
const compress = (tool: string, text: string): Buffer => execFileSync(tool, ['-c'], { input: text, maxBuffer: 1 << 30 });
const FORMATS = [
  { tool: 'gzip', extension: '.gz' },
  { tool: 'zstd', extension: '.zst' },
  { tool: 'bzip2', extension: '.bz2' },
] as const;
for (const f of FORMATS) {
  writeFileSync(join(dir, `two${f.extension}`), Buffer.concat([compress(f.tool, firstText), compress(f.tool, secondText)]));
  writeFileSync(join(dir, `upper${f.extension.toUpperCase()}`), compress(f.tool, 'upper\ncase\n'));
  writeFileSync(join(dir, `bad${f.extension}`), 'this is not compressed\n');
}
const plainLines = readFileSync(join(dir, 'plain.txt'), 'utf8').split(/\r?\n/).slice(0, -1);

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const f of FORMATS) {
    for (const minPartitions of [1, 3]) {
      const name = `${f.tool} ${f.extension} like the plain file [workers=${workers}, minPartitions=${minPartitions}]`;
      test(name, async () => {
        const plain = kiln.textFile(join(dir, 'plain.txt'), { minPartitions });
        const compressed = kiln.textFile(join(dir, `two${f.extension}`), { minPartitions });
        assert.is(compressed.numPartitions, 1, 'one task per compressed file');
        const got = await compressed.collect();
        assert.is(got.length, plainLines.length);
        assert.equal(got, await plain.collect());
        assert.equal(got, plainLines);
      });
    }
    test(`${f.tool}: extension case-insensitive, wholeTextFiles, kernel refusal, bad file [workers=${workers}]`, async () => {
      assert.equal(await kiln.textFile(join(dir, `upper${f.extension.toUpperCase()}`)).collect(), ['upper', 'case']);
      const whole = await kiln.wholeTextFiles(join(dir, `two${f.extension}`)).collect();
      assert.equal(whole, [[join(dir, `two${f.extension}`), firstText + secondText]]);
      const bad = join(dir, `bad${f.extension}`);
      const e = await rejects(() => kiln.textFile(bad).collect(), new RegExp(`not a valid ${f.tool === 'gzip' ? 'gzip' : f.tool === 'zstd' ? 'zstd' : 'bzip2'} file`));
      assert.ok(e.message.includes(bad), 'the error names the file');
      // The kernel readers read raw bytes: they refuse compressed files rather than search them.
      await rejects(async () => kiln.textFile(join(dir, `two${f.extension}`)).words().valueCounts().collect(), /words\(\) reads plain text only, and .* is /);
      await rejects(async () => kiln.textFile(join(dir, `two${f.extension}`)).linesMatching(/kiln/).collect(), /linesMatching\(\) reads plain text only/);
      await rejects(async () => kiln.textFile(join(dir, `two${f.extension}`)).countLinesContaining('kiln').collect(), /countLinesMatching\(\) reads plain text only/);
    });
  }
  test.after(() => kiln.stop());
}
test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
