// Benchmark cases for the grep kernel: counting the lines of the 64 MB Zipf corpus
// that hold a literal, fed in 1 MiB chunks of whole lines through kernel memory (the
// copy in is timed, standing in for the engine's read), against the best plain-JS
// loop: Buffer indexOf of the needle (memmem-backed in V8), then indexOf(10) to skip
// the rest of the matching line.
import { readFileSync } from 'node:fs';
import { KernelRuntime, LiteralSearch } from '../../engine/executor/kernels/index.js';
import { zipfCorpus } from '../corpus.js';
import type { BenchCase } from '../harness.js';
import { CORPUS_BYTES } from './lines.js';

/** Whole-line chunks of about `chunk` bytes: [start, end) offsets into `text`. */
function lineChunks(text: Uint8Array, chunk: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 0; p < text.length; ) {
    let e = Math.min(text.length, p + chunk);
    if (e < text.length) e = text.lastIndexOf(10, e - 1) + 1;
    out.push([p, e]);
    p = e;
  }
  return out;
}

/** grep -c -F of a common and a rare literal: kernel vs Buffer indexOf. */
export async function grepCases(): Promise<BenchCase[]> {
  const text = readFileSync(await zipfCorpus(CORPUS_BYTES));
  const rt = KernelRuntime.create({ initialBytes: 16 << 20 });
  const chunks = lineChunks(text, 1 << 20);
  const buf = rt.allocator.alloc(2 << 20);
  const cases: BenchCase[] = [];
  for (const literal of ['the', 'kiln']) {
    const search = new LiteralSearch(rt, literal, false);
    const kernel = (): number => {
      let n = 0;
      for (const [a, b] of chunks) {
        rt.u8.set(text.subarray(a, b), buf.ptr);
        n += search.count(buf.ptr, b - a);
      }
      return n;
    };
    const needle = Buffer.from(literal);
    const baseline = (): number => {
      let n = 0;
      for (let i = text.indexOf(needle); i >= 0; ) {
        n++;
        const nl = text.indexOf(10, i + needle.length);
        if (nl < 0) break;
        i = text.indexOf(needle, nl + 1);
      }
      return n;
    };
    cases.push({
      name: `grep -c -F "${literal}", 64 MB Zipf, 1 MiB chunks`,
      work: text.length,
      unit: 'MB',
      target: 'faster than indexOf',
      kernel,
      baseline: { name: 'Buffer indexOf(needle), then indexOf(10)', run: baseline },
      check: () => {
        const [k, b] = [kernel(), baseline()];
        if (k !== b) throw new Error(`grep counts disagree: kernel ${k}, baseline ${b}`);
      },
    });
  }
  return cases;
}
