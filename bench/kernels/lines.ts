// Benchmark cases for the line-splitting kernel: the 64 MB Zipf corpus fed in chunks
// through one reused region of kernel memory (as the engine reads a split), against a
// JS `indexOf(10)` loop over a Buffer that writes the same (start, end) pairs.
import { readFileSync } from 'node:fs';
import { KernelRuntime, LineSplitter } from '../../engine/executor/kernels/index.js';
import { zipfCorpus } from '../corpus.js';
import type { BenchCase } from '../harness.js';

/** Corpus size every text benchmark uses. */
export const CORPUS_BYTES = 64e6;

/**
 * Feeds `text` to `scan` in chunks of `chunk` bytes through the region at `buf`
 * (`slack` bytes for the carried partial record, then `chunk` bytes), carrying the
 * unconsumed tail over as the engine does. New bytes always land at `buf + slack`
 * (aligned) and the tail is moved to just before them: copying into shared memory at
 * an unaligned address measured ~5x slower. The copy in is timed: it stands in for
 * the engine's read into kernel memory.
 */
export function feedChunks(
  rt: KernelRuntime,
  text: Uint8Array,
  buf: number,
  chunk: number,
  scan: (ptr: number, len: number, final: boolean) => number,
  slack = chunk,
): void {
  const at = buf + slack;
  let fed = 0;
  let held = 0;
  for (;;) {
    const take = Math.min(chunk, text.length - fed);
    rt.u8.set(text.subarray(fed, fed + take), at);
    fed += take;
    const start = at - held;
    const final = fed === text.length;
    const consumed = scan(start, held + take, final);
    if (final) return;
    held = held + take - consumed;
    if (held > slack) throw new Error(`a record longer than the bench slack (${held} bytes)`);
    if (held > 0) rt.u8.copyWithin(at - held, start + consumed, at + take);
  }
}

/** Line splitting of the Zipf corpus: kernel vs the best plain-JS loop. */
export async function lineCases(): Promise<BenchCase[]> {
  const text = readFileSync(await zipfCorpus(CORPUS_BYTES));
  const rt = KernelRuntime.create({ initialBytes: 16 << 20 });
  const splitter = new LineSplitter(rt);
  const cases: BenchCase[] = [];
  for (const chunk of [1 << 20, 64 << 10]) {
    const buf = rt.allocator.alloc(2 * chunk);
    // Checksum mode sums line lengths so kernel and baseline are compared on content.
    const kernel = (checksum: boolean): [number, number] => {
      let lines = 0;
      let bytes = 0;
      feedChunks(rt, text, buf.ptr, chunk, (ptr, len, final) =>
        splitter.scan(ptr, len, final, (count) => {
          lines += count;
          if (checksum) {
            const p = splitter.pairs;
            for (let i = 0; i < count; i++) bytes += p[2 * i + 1]! - p[2 * i]!;
          }
        }),
      );
      return [lines, bytes];
    };
    const pairs = new Uint32Array(2 * splitter.capacity);
    const baseline = (checksum: boolean): [number, number] => {
      // indexOf is memchr-backed in V8; pairs are written to a reused array and
      // "drained" every capacity lines, like the kernel's batches.
      let lines = 0;
      let bytes = 0;
      let n = 0;
      let start = 0;
      const len = text.length;
      const drain = (): void => {
        if (checksum) for (let i = 0; i < n; i++) bytes += pairs[2 * i + 1]! - pairs[2 * i]!;
        lines += n;
        n = 0;
      };
      for (;;) {
        const nl = text.indexOf(10, start);
        const stop = nl < 0 ? len : nl;
        if (nl < 0 && start >= len) break;
        let end = stop;
        if (end > start && text[end - 1] === 13) end--;
        pairs[2 * n] = start;
        pairs[2 * n + 1] = end;
        if (++n === splitter.capacity) drain();
        if (nl < 0) break;
        start = nl + 1;
      }
      drain();
      return [lines, bytes];
    };
    cases.push({
      name: `lines, 64 MB Zipf, ${chunk >> 10} KiB chunks`,
      work: text.length,
      unit: 'MB',
      target: 'faster than indexOf loop',
      kernel: () => kernel(false),
      baseline: { name: 'Buffer indexOf(10) loop', run: () => baseline(false) },
      check: () => {
        const [k, b] = [kernel(true), baseline(true)];
        if (k[0] !== b[0] || k[1] !== b[1]) throw new Error(`lines disagree: kernel ${k}, baseline ${b}`);
      },
    });
  }
  return cases;
}
