// Stand-in for the `kiln` CLI while dist/cli/main.js does not exist: the same
// subcommands and output formats, built on the engine API. Policy: tools.ts uses the
// real CLI whenever it is built and labels rows "(API stub)" otherwise, so a table
// never passes a stub off as the CLI.
// Usage: node dist/bench/compare/kiln-stub.js <wordcount|distinct|sort|grep> [PATTERN] FILE [--workers N] [--memory SIZE]
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kiln } from '../../engine/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { workers: { type: 'string' }, memory: { type: 'string' }, count: { type: 'boolean' }, 'fixed-strings': { type: 'boolean' }, quiet: { type: 'boolean' }, progress: { type: 'string' } } });
const [task, ...rest] = positionals;
const kiln = await Kiln.start({ workers: Number(values.workers ?? 2), ...(values.memory ? { memory: values.memory } : {}) });

/** Writes lines to stdout in 1 MiB blocks (UTF-8, as the engine decodes lines). */
function print(lines: Iterable<string>): void {
  let out = '';
  for (const l of lines) {
    out += l + '\n';
    if (out.length > 1 << 20) {
      writeSync(1, Buffer.from(out));
      out = '';
    }
  }
  writeSync(1, Buffer.from(out));
}

switch (task) {
  case 'wordcount': {
    const counts = await kiln.textFile(rest[0]!).words({ lowercase: true }).valueCounts().collect();
    counts.sort((a, b) => b[1] - a[1]);
    print(counts.map(([w, c]) => `${w} ${c}`));
    break;
  }
  case 'distinct':
    print(await kiln.textFile(rest[0]!).distinct().collect());
    break;
  case 'sort':
    print(await kiln.textFile(rest[0]!).sortBy((l) => l).collect());
    break;
  case 'grep': {
    const pattern = rest[0]!;
    print([String(await kiln.textFile(rest[1]!).filter((l) => l.includes(pattern), { pattern }).count())]);
    break;
  }
  default:
    throw new Error(`unknown task ${task}`);
}
await kiln.stop();
