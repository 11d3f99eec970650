// The plain single-threaded Node word count kiln is measured against: what a Node
// programmer writes without an engine. Policy (the issue's): 64 KiB chunks decoded as
// latin1, toLowerCase, split(/\s+/), a Map, the partial last word of each chunk carried
// into the next; then sorted by count, descending, and printed as "word count" lines.
// On ASCII input this is countwords' rules exactly; on other bytes it differs from kiln
// (toLowerCase also maps Latin-1 capitals such as 0xC0-0xDE, and /\s/ also matches
// 0xA0), which the equality check reports.
// Usage: node dist/bench/compare/plain-wordcount.js FILE
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const counts = new Map<string, number>();
const fd = openSync(process.argv[2]!, 'r');
const buf = Buffer.alloc(64 * 1024);
let carry = '';
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  const words = (carry + buf.toString('latin1', 0, n).toLowerCase()).split(/\s+/);
  carry = words.pop() ?? '';
  for (const w of words) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
}
if (carry) counts.set(carry, (counts.get(carry) ?? 0) + 1);
closeSync(fd);

const sorted = [...counts].sort((a, b) => b[1] - a[1]);
let out = '';
for (const [w, c] of sorted) {
  out += `${w} ${c}\n`;
  if (out.length > 1 << 20) {
    writeSync(1, Buffer.from(out, 'latin1'));
    out = '';
  }
}
writeSync(1, Buffer.from(out, 'latin1'));
