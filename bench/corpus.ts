// Deterministic benchmark corpora. Policy: every benchmark input is generated from a
// seed, so any machine reproduces the same bytes; files are cached under bench/data/
// and regenerated when missing.
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../engine/common/seeded-random.js';

/** Where generated corpora are cached (git-ignored). */
export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'data');

/** A seeded PRNG (mulberry32): floats in [0, 1). */
export const seeded = seededRandom;

/** Options of the Zipf word corpus. */
export interface ZipfOptions {
  /** Size of the corpus in bytes (the last line is completed, so it may run a line over). */
  bytes: number;
  /** Distinct words in the vocabulary (default 100 000). */
  vocabulary?: number;
  /** Zipf exponent (default 1.0, as in natural-language text). */
  exponent?: number;
  seed?: number;
}

/**
 * The vocabulary: `n` distinct words of 1-12 letters, shorter words for frequent ranks
 * (as in natural text). About one word in ten is capitalized and one in twenty carries
 * punctuation, so lowercasing and the split mode matter.
 */
export function vocabulary(n: number, seed = 42): string[] {
  const r = seeded(seed);
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const seen = new Set<string>();
  const words: string[] = [];
  while (words.length < n) {
    const rank = words.length + 1;
    const len = 1 + Math.min(11, Math.floor(Math.log2(rank + 1) / 1.6 + r() * 4));
    let w = '';
    for (let i = 0; i < len; i++) w += letters[Math.floor(Math.pow(r(), 1.6) * letters.length)];
    if (seen.has(w)) continue;
    seen.add(w);
    const roll = r();
    if (roll < 0.1) w = w[0]!.toUpperCase() + w.slice(1);
    else if (roll < 0.15) w += ',.;:!?'[Math.floor(r() * 6)];
    words.push(w);
  }
  return words;
}

/** Generates a Zipf-distributed word corpus: lines of 40-120 bytes of space-separated words. */
export async function writeZipfCorpus(path: string, options: ZipfOptions): Promise<void> {
  const n = options.vocabulary ?? 100_000;
  const s = options.exponent ?? 1.0;
  const words = vocabulary(n, options.seed ?? 42);
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += 1 / Math.pow(i + 1, s);
  const r = seeded((options.seed ?? 42) + 1);
  const pick = (): string => {
    const u = r() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let written = 0;
  let chunk = '';
  while (written < options.bytes) {
    const target = 40 + Math.floor(r() * 80);
    let line = pick();
    while (line.length < target) line += ' ' + pick();
    line += '\n';
    chunk += line;
    written += line.length;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
      chunk = '';
    }
  }
  out.write(chunk);
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  renameSync(tmp, path);
}

/** Path of the cached Zipf corpus of `bytes` bytes, generated on first use. */
export async function zipfCorpus(bytes: number): Promise<string> {
  const path = join(DATA_DIR, `zipf-${bytes}.txt`);
  if (!existsSync(path) || statSync(path).size < bytes) await writeZipfCorpus(path, { bytes });
  return path;
}

/**
 * The long-line corpus of issue 11: the Zipf corpus of `bytes` bytes with every line
 * break turned into a space, except around 100 short lines kept at each end — so one
 * line holds almost all of the bytes, and a word count, a grep and a sort of it have
 * answers the GNU tools can check. Generated from the Zipf corpus, on first use.
 */
export async function longLineCorpus(bytes: number): Promise<string> {
  const path = join(DATA_DIR, `longline-${bytes}.txt`);
  if (existsSync(path) && statSync(path).size >= bytes) return path;
  const source = await zipfCorpus(bytes);
  const data = readFileSync(source);
  const breaks: number[] = [];
  for (let i = data.indexOf(10); i >= 0 && breaks.length < 100; i = data.indexOf(10, i + 1)) breaks.push(i);
  let tail = data.length - 1;
  for (let k = 0; k < 100 && tail > 0; k++) tail = data.lastIndexOf(10, tail - 1);
  const head = breaks[breaks.length - 1] ?? 0;
  for (let i = data.indexOf(10, head + 1); i >= 0 && i < tail; i = data.indexOf(10, i + 1)) data[i] = 0x20;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
  return path;
}

/** Megabytes, for printing. */
export const MB = 1e6;

/**
 * gensort-like sort records: `bytes / 100` lines of 100 bytes — a 10-byte random key of
 * printable ASCII (0x21-0x7e), a space, 88 payload bytes (the record number and
 * filler), "\n".
 */
export function writeSortRecords(path: string, bytes: number, seed = 7): void {
  const n = Math.floor(bytes / 100);
  const r = seeded(seed);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const perChunk = 100_000;
  const buf = Buffer.alloc(perChunk * 100);
  for (let done = 0; done < n; done += perChunk) {
    const m = Math.min(perChunk, n - done);
    for (let i = 0; i < m; i++) {
      const o = i * 100;
      for (let k = 0; k < 10; k++) buf[o + k] = 0x21 + Math.floor(r() * 94);
      buf[o + 10] = 0x20;
      const id = String(done + i).padStart(12, '0');
      buf.write(id, o + 11, 'latin1');
      buf.fill(0x41 + ((done + i) % 26), o + 23, o + 99);
      buf[o + 99] = 0x0a;
    }
    writeSync(fd, buf, 0, m * 100);
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Path of the cached sort-record file of `bytes` bytes, generated on first use. */
export function sortCorpus(bytes: number): string {
  const path = join(DATA_DIR, `sort-${bytes}.txt`);
  if (!existsSync(path) || statSync(path).size < Math.floor(bytes / 100) * 100) writeSortRecords(path, bytes);
  return path;
}

/**
 * The join corpus: a fact CSV of `rows` lines "key,quantity,price,store" (keys "k" + 7
 * digits drawn uniformly from `keys` distinct ones, about 25 bytes a line) and a
 * dimension CSV of one line "key,name" per key, in shuffled order. Every fact row
 * matches exactly one dimension row.
 */
export function writeJoinCorpus(factPath: string, dimPath: string, rows: number, keys: number, seed = 11): void {
  const r = seeded(seed);
  const key = (i: number): string => `k${String(i).padStart(7, '0')}`;
  const write = (path: string, n: number, line: (i: number) => string): void => {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    let chunk = '';
    for (let i = 0; i < n; i++) {
      chunk += line(i);
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    renameSync(tmp, path);
  };
  write(factPath, rows, () => `${key(Math.floor(r() * keys))},${1 + Math.floor(r() * 99)},${(r() * 1000).toFixed(2)},s${String(Math.floor(r() * 1000)).padStart(3, '0')}\n`);
  // A random permutation of the keys (Fisher-Yates), so neither file is sorted.
  const order = Array.from({ length: keys }, (_, i) => i);
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  write(dimPath, keys, (i) => `${key(order[i]!)},name${order[i]!}\n`);
}

/** The dimension file that goes with a join fact file. */
export function joinDimensionPath(factPath: string): string {
  return factPath.replace(/\.csv$/, '.dim.csv');
}

/**
 * Path of the cached join fact file of about `bytes` bytes (25 bytes a row; keys a
 * tenth of the rows), generated with its dimension file on first use.
 */
export function joinCorpus(bytes: number): string {
  const rows = Math.max(10, Math.round(bytes / 25));
  const path = join(DATA_DIR, `join-${rows}.csv`);
  if (!existsSync(path) || !existsSync(joinDimensionPath(path))) writeJoinCorpus(path, joinDimensionPath(path), rows, Math.max(1, Math.round(rows / 10)));
  return path;
}
