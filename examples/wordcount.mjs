// Word count with kiln's embedded API — the job `kiln wordcount` runs, written out.
// Run it after `npm run build`:   node examples/wordcount.mjs FILE... [--top N]
//
// textFile() lists the inputs and cuts them into splits; words() splits lines with the
// tokenizer kernel (ASCII whitespace, like the countwords benchmark) and lowercases
// ASCII; valueCounts() counts in the combiner kernel, first inside each map task, then
// per reduce partition after the shuffle. Only the distinct words come back to this
// thread, where they are ordered: most frequent first, ties in byte order.
import { Kiln } from '../dist/engine/index.js'; // from a project that installed kiln: 'kiln'

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : Infinity;
if (args.length === 0) {
  console.error('usage: node examples/wordcount.mjs FILE... [--top N]');
  process.exit(2);
}

const kiln = await Kiln.start(); // one worker thread per CPU
try {
  const counts = await kiln.textFile(args).words({ lowercase: true }).valueCounts().collect();
  counts.sort((a, b) => b[1] - a[1] || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  for (const [word, count] of counts.slice(0, top)) console.log(`${word} ${count}`);
  const job = kiln.lastJobMetrics;
  console.error(`${counts.length} distinct words in ${job.wallMs.toFixed(0)} ms`);
} finally {
  await kiln.stop();
}
