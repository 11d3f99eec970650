// Output normalization and the equality check. Policy: a tool's times count only if its
// output equals kiln's once the freedoms the task leaves are normalized away, and
// nothing else: word counts are compared as maps (the order of equal counts is free,
// but the list must be sorted by count, descending), distinct lines as sorted line
// sets, sorted lines byte for byte, grep counts as integers. Outputs are read as
// latin1 so every byte survives the round trip, whatever the encoding of the input.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** How a word-count output lays out a line: "word count" (countwords) or "count word" (`uniq -c`). */
export type WordCountLayout = 'word-count' | 'count-word';

/** How outputs of a task are compared. */
export type OutputKind = 'word-counts' | 'line-set' | 'bytes' | 'count';

/** Parses word-count lines into [word, count] pairs in output order. Throws on a malformed line. */
export function parseWordCounts(text: string, layout: WordCountLayout): [string, number][] {
  const pairs: [string, number][] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // Words never hold whitespace, so the line splits at its one run of separators;
  // `uniq -c` right-aligns its counts, hence the leading blanks.
  const re = layout === 'word-count' ? /^(\S+)[ \t]+(\d+)$/ : /^[ \t]*(\d+)[ \t]+(\S+)$/;
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i]!);
    if (!m) throw new Error(`line ${i + 1} is not "${layout === 'word-count' ? 'word count' : 'count word'}": ${JSON.stringify(lines[i]!.slice(0, 80))}`);
    pairs.push(layout === 'word-count' ? [m[1]!, Number(m[2])] : [m[2]!, Number(m[1])]);
  }
  return pairs;
}

/**
 * Compares two word-count lists. Returns undefined when they are equal as maps and
 * `actual` is sorted by count, descending; else a sentence naming the first difference.
 */
export function compareWordCounts(expected: [string, number][], actual: [string, number][]): string | undefined {
  for (let i = 1; i < actual.length; i++) {
    if (actual[i]![1] > actual[i - 1]![1]) return `not sorted by count at line ${i + 1} (${actual[i - 1]![1]} then ${actual[i]![1]})`;
  }
  const want = new Map(expected);
  const got = new Map<string, number>();
  for (const [w, n] of actual) {
    if (got.has(w)) return `word ${JSON.stringify(w)} is listed twice`;
    got.set(w, n);
  }
  for (const [w, n] of want) {
    const m = got.get(w);
    if (m === undefined) return `word ${JSON.stringify(w)} (count ${n}) is missing (${got.size} words against ${want.size})`;
    if (m !== n) return `word ${JSON.stringify(w)} counted ${m}, expected ${n}`;
  }
  for (const [w, n] of got) if (!want.has(w)) return `extra word ${JSON.stringify(w)} (count ${n})`;
  return undefined;
}

/** Parses a single integer output (grep -c). Throws if the output is anything else. */
export function parseCount(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new Error(`expected one integer, got ${JSON.stringify(t.slice(0, 80))}`);
  return Number(t);
}

/** Byte-for-byte comparison with `cmp`; undefined when identical, else cmp's message. */
export async function compareBytes(expectedPath: string, actualPath: string): Promise<string | undefined> {
  const { code, out } = await exec(['cmp', expectedPath, actualPath], {});
  if (code === 0) return undefined;
  return out.trim() || `cmp exited with ${code}`;
}

/**
 * Compares two outputs as sets of lines (distinct): both are sorted in byte order by
 * `LC_ALL=C sort` into `<path>.sorted` and compared with `cmp`.
 */
export async function compareLineSets(expectedPath: string, actualPath: string): Promise<string | undefined> {
  for (const p of [expectedPath, actualPath]) {
    const { code, out } = await exec(['sort', '-S', '1G', '-o', `${p}.sorted`, p], { LC_ALL: 'C' });
    if (code !== 0) throw new Error(`sort ${p} failed: ${out}`);
  }
  const diff = await compareBytes(`${expectedPath}.sorted`, `${actualPath}.sorted`);
  return diff === undefined ? undefined : `sorted lines differ: ${diff}`;
}

/** Compares a tool's output file with kiln's according to the task's output kind. */
export async function compareOutputs(kind: OutputKind, expected: { path: string; layout?: WordCountLayout }, actual: { path: string; layout?: WordCountLayout }): Promise<string | undefined> {
  try {
    switch (kind) {
      case 'word-counts':
        return compareWordCounts(parseWordCounts(readFileSync(expected.path, 'latin1'), expected.layout ?? 'word-count'), parseWordCounts(readFileSync(actual.path, 'latin1'), actual.layout ?? 'word-count'));
      case 'count': {
        const a = parseCount(readFileSync(expected.path, 'latin1'));
        const b = parseCount(readFileSync(actual.path, 'latin1'));
        return a === b ? undefined : `count ${b}, expected ${a}`;
      }
      case 'bytes':
        return await compareBytes(expected.path, actual.path);
      case 'line-set':
        return await compareLineSets(expected.path, actual.path);
      default:
        return kind satisfies never;
    }
  } catch (err) {
    return (err as Error).message;
  }
}

function exec(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => resolve({ code: 127, out: String(err) }));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}
