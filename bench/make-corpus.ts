// `node dist/bench/make-corpus.js [zipf|sort|longline] BYTES`: generates (once, cached under
// bench/data) a deterministic corpus and prints its path — for the README's main job
// and for running the CLI by hand on the benchmark inputs.
import { longLineCorpus, sortCorpus, zipfCorpus } from './corpus.js';

const [kind = 'zipf', size = '64e6'] = process.argv.slice(2);
const bytes = Number(size);
if (!Number.isFinite(bytes) || bytes <= 0) {
  console.error(`make-corpus: size must be a number of bytes, e.g. 64e6 (got ${size})`);
  process.exit(2);
}
if (kind === 'zipf') console.log(await zipfCorpus(bytes));
else if (kind === 'sort') console.log(sortCorpus(bytes));
else if (kind === 'longline') console.log(await longLineCorpus(bytes));
else {
  console.error(`make-corpus: kind must be zipf, sort or longline (got ${kind})`);
  process.exit(2);
}
