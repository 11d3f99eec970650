// Master URLs, parsed as Spark's SparkContext.createTaskScheduler does. Policy: the
// same spellings and the same regular expressions as Spark (local, local[N], local[*],
// local[N,F], local-cluster[N,cores,memoryMiB]) plus kiln's ssh:HOSTSFILE; anything
// else is a usage error that lists what is accepted, never a silent fallback to
// threads. The default (no master) stays today's worker threads.
import { availableParallelism } from 'node:os';
import { KilnError } from '../common/errors.js';

/** A parsed master URL. */
export type Master =
  /** Worker threads in this process; maxFailures from local[N,F] (Spark's default for local is 1 attempt; kiln keeps its own unless F is given). */
  | { readonly kind: 'local'; readonly threads: number; readonly maxFailures?: number }
  /** N executor processes on this host, each with `cores` worker threads and `memoryMiB` of memory. */
  | { readonly kind: 'local-cluster'; readonly executors: number; readonly cores: number; readonly memoryMiB: number }
  /** Executors started over OpenSSH on the hosts listed in a file. */
  | { readonly kind: 'ssh'; readonly hostsFile: string };

// Spark's regular expressions (SparkMasterRegex in SparkContext.scala).
const LOCAL_N = /^local\[([0-9]+|\*)\]$/;
const LOCAL_N_FAILURES = /^local\[([0-9]+|\*)\s*,\s*([0-9]+)\]$/;
const LOCAL_CLUSTER = /^local-cluster\[\s*([0-9]+)\s*,\s*([0-9]+)\s*,\s*([0-9]+)\s*]$/;
const SSH = /^ssh:(.+)$/;

const ACCEPTED = 'local, local[N], local[*], local[N,maxFailures], local-cluster[executors,cores,memoryMiB] or ssh:HOSTSFILE';

/** Parses `url`; throws a usage error naming the accepted forms. */
export function parseMaster(url: string): Master {
  const text = url.trim();
  if (text === 'local') return { kind: 'local', threads: 1 };
  let m = LOCAL_N.exec(text);
  if (m) return { kind: 'local', threads: threads(m[1]!, text) };
  m = LOCAL_N_FAILURES.exec(text);
  if (m) return { kind: 'local', threads: threads(m[1]!, text), maxFailures: positive(m[2]!, 'maxFailures', text) };
  m = LOCAL_CLUSTER.exec(text);
  if (m) {
    return {
      kind: 'local-cluster',
      executors: positive(m[1]!, 'executors', text),
      cores: positive(m[2]!, 'cores', text),
      memoryMiB: positive(m[3]!, 'memoryMiB', text),
    };
  }
  m = SSH.exec(text);
  if (m) return { kind: 'ssh', hostsFile: m[1]! };
  if (/^(spark|yarn|k8s|mesos):/.test(text) || text === 'yarn') {
    throw new KilnError('usage', `master "${url}" is a Spark cluster manager, which kiln does not use; kiln accepts ${ACCEPTED}`);
  }
  throw new KilnError('usage', `invalid master URL "${url}"; kiln accepts ${ACCEPTED}`);
}

function threads(text: string, url: string): number {
  return text === '*' ? availableParallelism() : positive(text, 'threads', url);
}

function positive(text: string, what: string, url: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new KilnError('usage', `master "${url}": ${what} must be a whole number >= 1 (got ${text})`);
  return n;
}
