// The fused stats kernel (kernels/stats.ts, behind textFile(f).map(Number).stats())
// against a plain-TS reference: Welford over Number() of every line, cut by the JS
// line rule. Bit-equal (Object.is per field), on random lines mixing what the kernel
// parses (signed integers and decimals, leading zeros, up to 2^53) with what it hands
// back to JS (empty lines, spaces, exponents, hex, 20+ digits, long
// fractions, non-ASCII), CRLF and no final newline, with workers 0, 1 and 2 and 1, 3
// and 17 partitions, and small splits so lines cross split ends.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, StatCounter } from '../engine/index.js';
import { rng, randInt } from './support/random.js';

const r = rng(2024);
const digits = (n: number): string => Array.from({ length: n }, () => randInt(r, 10)).join('');
const odd = ['', ' 4 ', '1e3', '-2.5E-3', '0x1f', '12345678901234567890', '9007199254740993', '0.1234567890123456789012345', 'ü7', '+', '-', '.', '1_000', '٣'];
const lines = Array.from({ length: 20_000 }, () => {
  const k = randInt(r, 10);
  if (k === 0) return odd[randInt(r, odd.length)]!;
  const sign = ['', '-', '+'][randInt(r, 3)];
  return k < 5 ? `${sign}${digits(1 + randInt(r, 16))}` : `${sign}${digits(randInt(r, 8))}.${digits(randInt(r, 12))}`;
}).filter((l) => !Number.isNaN(Number(l)));
const dir = mkdtempSync(join(tmpdir(), 'kiln-stats-kernel-'));
const lf = join(dir, 'lf.txt');
const crlf = join(dir, 'crlf.txt');
writeFileSync(lf, lines.join('\n'));
writeFileSync(crlf, lines.join('\r\n') + '\r\n');

/** The reference: Welford over Number(line), in file order. */
const reference = new StatCounter(lines.map(Number)).state();

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    test(`stats kernel equals Welford over Number() bit for bit [workers=${workers}, partitions=${parts}]`, async () => {
      for (const file of [lf, crlf]) {
        const ds = kiln.textFile(file, { minPartitions: parts, maxPartitionBytes: parts === 17 ? 4096 : 1 << 20 });
        const fused = (await ds.map(Number).stats()).state();
        const generic = (await ds.map((l) => Number(l)).stats()).state();
        for (const k of ['n', 'mu', 'm2', 'max', 'min'] as const) {
          assert.ok(Object.is(generic[k], fused[k]), `${k}: kernel ${fused[k]} vs JS path ${generic[k]} (${file})`);
        }
        if (parts === 1) {
          // One partition folds in file order, as the reference does.
          for (const k of ['n', 'mu', 'm2', 'max', 'min'] as const) assert.ok(Object.is(reference[k], fused[k]), `${k}: ${fused[k]} vs ${reference[k]}`);
        } else {
          assert.is(fused.n, reference.n);
          assert.ok(Math.abs(fused.mu - reference.mu) <= 1e-9 * Math.abs(reference.mu));
        }
      }
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
