// Serving `kiln history DIR`. Policy: load every log before listening (so the first
// page is complete), print the URL (with its token off loopback) and how long loading
// took, re-scan the directory every 10 s for new or grown logs (Spark's
// spark.history.fs.update.interval), and stop on Ctrl-C or `signal`.
import { HistoryProvider } from '../engine/driver/monitor/history.js';
import { UiServer } from '../engine/driver/ui/server.js';
import { positiveInt, type Invocation } from './args.js';
import { UsageError } from './errors.js';

const RESCAN_MS = 10_000;

/** `kiln history` as a program: serves until Ctrl-C (SIGINT) or SIGTERM, then exits 0. */
export async function runHistory(invocation: Invocation): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await serveHistory(invocation, stop.signal, (s) => process.stderr.write(s));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Serves the history UI until `signal` aborts; resolves with the exit code. */
export async function serveHistory(invocation: Invocation, signal: AbortSignal, write: (s: string) => void): Promise<number> {
  const [dir, ...extra] = invocation.operands;
  if (extra.length > 0) throw new UsageError(`history: one directory, got ${invocation.operands.length} operands`);
  const port = invocation.flags.port === '0' ? 0 : (positiveInt(invocation.flags.port, 'port') ?? 18080);
  const host = typeof invocation.flags.host === 'string' ? invocation.flags.host : '127.0.0.1';
  const started = performance.now();
  const provider = new HistoryProvider(dir!);
  provider.refresh();
  const apps = provider.list().length;
  for (const [file, why] of provider.problems) write(`kiln: history: skipped ${file}: ${why}\n`);
  const server = await UiServer.start(provider, { port, host }, 'kiln history');
  write(`kiln: history of ${apps} application${apps === 1 ? '' : 's'} from ${dir}, loaded in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  write(`kiln: history server at ${server.url} (Ctrl-C stops it)\n`);
  const timer = setInterval(() => provider.refresh(), RESCAN_MS);
  try {
    await new Promise<void>((done) => {
      if (signal.aborted) done();
      signal.addEventListener('abort', () => done(), { once: true });
    });
  } finally {
    clearInterval(timer);
    await server.close();
  }
  return 0;
}
