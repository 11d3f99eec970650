// The grep source: candidate lines of a search, so that a line that cannot match never
// becomes a JS string. Two ways to look:
// - a literal, found by the grepScan kernel in kernel memory (the -F string, or a
//   literal every match of an -E pattern holds: cli/grep-literal.ts);
// - a RegExp run over a whole decoded chunk with the 'm' flag, from line to line: one
//   scan per chunk instead of a string and a match per line (patterns with no literal).
// Policy: this source is a prefilter that the caller's full match runs after
// (cli/commands/grep.ts), and it selects a superset of what the string path ('text'
// source, then the match) would, line for line:
// - a line is decoded exactly as the text source decodes it (UTF-8, without its "\n"
//   or "\r\n"); per-line decoding equals slicing the decoded chunk because every line
//   ends in an ASCII '\n', where a UTF-8 decoder starts afresh;
// - a line the RegExp matches alone, it matches inside the chunk at the same place:
//   its characters are the same, '^' and '$' match at line ends under 'm', and \b sees
//   a '\n' or '\r' beyond the line where the line alone has its end, both non-word; a
//   match that crosses a line break just makes its first line a candidate;
// - a chunk holding a NUL byte (a binary file) goes the string path's way whole: every
//   line is emitted, since the caller tells binary files by the NUL in their lines;
// - in count mode (literals) the kernel's count is the answer (for -F), with NUL
//   ending segments as GNU grep does in binary files; one number per partition.
// inputRecords counts the lines emitted (candidates), not the lines read.
import { Buffer } from 'node:buffer';
import { LiteralSearch } from '../kernels/grep.js';
import type { NodeSpec } from './protocol.js';
import type { TaskContext } from './task-context.js';
import { decodeChunk, emitLines, type Emit } from './compute.js';

type GrepNode = Extract<NodeSpec, { t: 'grep' }>;

/** Pushes the candidate lines of the node's splits (or their count) to `emit`. */
export function readGrep(node: GrepNode, ctx: TaskContext, emit: Emit): void {
  if (node.find.t === 'regex') {
    readRegexCandidates(node, new RegExp(node.find.source, `${node.find.flags}gm`), ctx, emit);
    return;
  }
  const rt = ctx.rt;
  const search = new LiteralSearch(rt, node.find.literal, node.find.ignoreCase);
  try {
    let total = 0;
    for (const split of node.splits) {
      const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
        ctx.checkCancelled();
        if (node.count) {
          total += search.count(ptr, len);
          return;
        }
        if (search.hasByte(ptr, len, 0)) {
          ctx.metrics.inputRecords += emitLines(decodeChunk(Buffer.from(rt.memory.buffer, ptr, len)), emit);
          return;
        }
        const buf = Buffer.from(rt.memory.buffer);
        search.lines(ptr, len, (count, offset) => {
          const pairs = search.pairs;
          const base = ptr + offset;
          for (let i = 0; i < count; i++) emit(buf.toString('utf8', base + pairs[2 * i]!, base + pairs[2 * i + 1]!));
          ctx.metrics.inputRecords += count;
        });
      });
      ctx.metrics.inputBytes += bytesRead;
    }
    if (node.count) emit(total);
  } finally {
    search.release();
  }
}

function readRegexCandidates(node: GrepNode, re: RegExp, ctx: TaskContext, emit: Emit): void {
  const rt = ctx.rt;
  for (const split of node.splits) {
    const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
      ctx.checkCancelled();
      const text = decodeChunk(Buffer.from(rt.memory.buffer, ptr, len));
      ctx.metrics.inputRecords += text.includes('\0') ? emitLines(text, emit) : emitCandidates(text, re, emit);
    });
    ctx.metrics.inputBytes += bytesRead;
  }
}

/**
 * Emits each line of a chunk's text in which a match of `re` ('g' and 'm') starts,
 * without its "\n" or "\r\n", and returns how many. After a candidate the search goes
 * on at the next line, so a line is emitted once. A function of its own for the reason
 * emitLines is (compute.ts): V8 compiles its loop on-stack.
 */
function emitCandidates(text: string, re: RegExp, emit: Emit): number {
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
    emit(text.slice(from, stop));
    n++;
    if (nl >= end) break;
    re.lastIndex = nl + 1;
  }
  return n;
}
