// The grep source: the lines of a task's splits that a RegExp matches (or how many),
// without a JS string for a line that cannot match. Candidates come from:
// - a literal every match holds, found by the grepScan kernel in kernel memory (the
//   -F string, or cli/grep-literal.ts's literal of an -E pattern);
// - else a byte range every match holds one of ([0-9]{5}: a digit), found by the
//   grepRange kernel the same way;
// - else the RegExp itself, run over a whole decoded chunk with the 'm' flag, from
//   line to line: one scan per chunk instead of a string and a match per line.
// The full match then runs on each candidate line alone; only -c -F (a literal and no
// RegExp) is answered by the kernel's count. Policy: the candidates are a superset of
// the matching lines, and each is decoded exactly as the text source decodes lines, so
// the result is the string path's ('text' source, then the test), line for line:
// - per-line decoding (the text's encoding, UTF-8 or Latin-1, without "\n" or "\r\n")
//   equals slicing the decoded chunk, because every line ends in an ASCII '\n', where a UTF-8 decoder starts afresh
//   (measured: one decode call per candidate line, ~0.5 us, beat decoding the chunk to
//   one Latin-1 string and slicing lines from it, whose slices the GC then copies);
// - a line the RegExp matches alone, it matches inside the chunk at the same place:
//   its characters are the same, '^' and '$' match at line ends under 'm', and \b sees
//   a '\n' or '\r' beyond the line where the line alone has its end, both non-word; a
//   match that crosses a line break just makes its first line a candidate;
// - a chunk holding a NUL byte (a binary file) has all its lines tested; with
//   keepNul, a line holding NUL is emitted whatever it holds (the CLI tells binary
//   files by it); counting, a line holding NUL counts its matching NUL-separated
//   pieces, and the kernel's count ends segments at NUL too (GNU grep's rule).
// inputRecords counts the candidate lines, not the lines read.
import { Buffer } from 'node:buffer';
import { ByteRangeSearch, LiteralSearch } from '../kernels/grep.js';
import type { NodeSpec } from '../../common/protocol/protocol.js';
import type { TaskContext } from './task-context.js';
import { decodeChunk, emitLines, type Emit } from './compute.js';

type GrepNode = Extract<NodeSpec, { t: 'grep' }>;

/** Pushes the matching lines of the node's splits (or their count, once) to `emit`. */
export function readGrep(node: GrepNode, ctx: TaskContext, emit: Emit): void {
  const { literal, range, match, keepNul } = node.find;
  const re = match ? new RegExp(match.source, match.flags) : undefined;
  let total = 0;
  // What happens to a candidate line.
  let take: Emit;
  if (!re) take = () => undefined;
  else if (node.count) take = (line) => (total += matchesIn(line as string, re));
  else if (keepNul) take = (line) => ((line as string).includes('\0') || re.test(line as string)) && emit(line);
  else take = (line) => re.test(line as string) && emit(line);

  const rt = ctx.rt;
  const encoding = node.encoding;
  const search = literal ? new LiteralSearch(rt, literal.text, literal.ignoreCase, encoding) : range ? new ByteRangeSearch(rt, range.lo, range.hi) : undefined;
  const scan = match ? new RegExp(match.source, `${match.flags}gm`) : undefined;
  try {
    for (const split of node.splits) {
      const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
        ctx.checkCancelled();
        if (search instanceof LiteralSearch && !re) {
          total += search.count(ptr, len);
          return;
        }
        if (search && rt.exports.hasByte(ptr, len, 0) === 0) {
          const buf = Buffer.from(rt.memory.buffer);
          search.lines(ptr, len, (count, offset) => {
            const pairs = search.pairs;
            const base = ptr + offset;
            for (let i = 0; i < count; i++) take(buf.toString(encoding, base + pairs[2 * i]!, base + pairs[2 * i + 1]!));
            ctx.metrics.inputRecords += count;
          });
          return;
        }
        const text = decodeChunk(Buffer.from(rt.memory.buffer, ptr, len), encoding);
        ctx.metrics.inputRecords += search || text.includes('\0') ? emitLines(text, take) : emitCandidates(text, scan!, take);
      });
      ctx.metrics.inputBytes += bytesRead;
    }
  } finally {
    search?.release();
  }
  if (node.count) emit(total);
}

/** 1 if `re` matches the line, 0 if not; for a line holding NUL, its matching NUL-separated pieces. */
function matchesIn(line: string, re: RegExp): number {
  if (!line.includes('\0')) return re.test(line) ? 1 : 0;
  let n = 0;
  for (const piece of line.split('\0')) if (re.test(piece)) n++;
  return n;
}

/**
 * Hands each line of a chunk's text in which a match of `re` ('g' and 'm') starts to
 * `take`, without its "\n" or "\r\n", and returns how many. After a candidate the
 * search goes on at the next line, so a line is taken once. A function of its own
 * for the reason emitLines is (compute.ts): V8 compiles its loop on-stack.
 */
function emitCandidates(text: string, re: RegExp, take: Emit): number {
  const end = text.length;
  let n = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const at = m.index;
    // An empty match after the last "\n" is in no line.
    if (at === end && (end === 0 || text.charCodeAt(end - 1) === 10)) break;
    const from = at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1;
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = end;
    const stop = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    take(text.slice(from, stop));
    n++;
    if (nl >= end) break;
    re.lastIndex = nl + 1;
  }
  return n;
}
