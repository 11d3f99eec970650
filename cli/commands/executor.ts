// `kiln executor --driver HOST:PORT [--cores N] [--memory SIZE] [--secret-file FILE]`:
// one executor process of cluster mode. Policy: this is not a job command (it builds
// no plan and prints no rows), so cli/main.ts hands it its own argv before job parsing;
// the secret comes from --secret-file or KILN_SECRET, never from argv (see
// engine/cluster/secret.ts); the process exits 0 when the driver stops it or goes
// away, and never outlives its driver (engine/cluster/executor-process.ts).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseSize } from '../../engine/executor/memory/budget.js';
import { UsageError } from '../errors.js';

/** Help text of `kiln executor --help`. */
export const EXECUTOR_USAGE = [
  'Usage: kiln executor --driver HOST:PORT [--cores N] [--memory SIZE] [--secret-file FILE] [--host ADDR]',
  '',
  'Runs one cluster-mode executor: dials the driver, authenticates with the',
  "application's secret (from --secret-file or the KILN_SECRET environment variable,",
  'never the command line), registers, heartbeats, and exits when the driver goes away.',
  '',
  'Flags:',
  '  --driver HOST:PORT    the driver endpoint to dial',
  '  --cores N             worker threads (default: CPUs)',
  '  --memory SIZE         memory for shuffle blocks, e.g. 1024m (default 1g)',
  '  --secret-file FILE    file holding the secret as 64 hex characters',
  '  --host ADDR           address of this executor\'s block server (default 127.0.0.1)',
  '  --verbose             also log registration and a normal exit',
  '',
].join('\n');

/** Runs `kiln executor` with `argv` (after the word "executor"); resolves with the exit code. */
export async function executorMain(argv: readonly string[]): Promise<number> {
  const { values } = parseArgsStrict(argv);
  if (values.help === true) {
    process.stdout.write(EXECUTOR_USAGE);
    return 0;
  }
  if (typeof values.driver !== 'string') throw new UsageError('kiln executor needs --driver HOST:PORT');
  const cores = values.cores === undefined ? availableParallelism() : Number(values.cores);
  if (!Number.isSafeInteger(cores) || cores < 1) throw new UsageError(`--cores must be a whole number >= 1, got "${String(values.cores)}"`);
  let memoryBytes: number;
  try {
    memoryBytes = parseSize(typeof values.memory === 'string' ? values.memory : '1g');
  } catch (e) {
    throw new UsageError(`--memory: ${(e as Error).message}`);
  }
  const { parseHostPort, readSecret, runExecutor } = await import('../../engine/cluster/index.js');
  const { host, port } = parseHostPort(values.driver);
  const secret = readSecret(typeof values['secret-file'] === 'string' ? values['secret-file'] : undefined, process.env);
  const executor = await runExecutor({ driverHost: host, driverPort: port, secret, cores, memoryBytes, verbose: values.verbose === true, ...(typeof values.host === 'string' ? { host: values.host } : {}) });
  // SIGTERM/SIGINT: leave cleanly (the driver sees the connection close).
  const stop = (): void => executor.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const exit = await executor.exited;
  return exit.reason === 'heartbeat timeout' ? 1 : 0;
}

function parseArgsStrict(argv: readonly string[]): ReturnType<typeof parseExecutorArgs> {
  try {
    return parseExecutorArgs(argv);
  } catch (e) {
    throw new UsageError(`kiln executor: ${(e as Error).message}`);
  }
}

function parseExecutorArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      driver: { type: 'string' },
      cores: { type: 'string' },
      memory: { type: 'string' },
      'secret-file': { type: 'string' },
      host: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
