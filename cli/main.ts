#!/usr/bin/env node
// The `kiln` command's entry point. Policy: parse everything before starting anything
// (a usage error costs no worker threads and exits 2); claim the --output directory
// before the job (refused at once if it exists); copy standard input (the operand `-`,
// or no file operand with stdin not a terminal) to a temporary file (cli/stdin.ts)
// that goes when the command ends or is stopped; load the engine only when a command
// runs, so --help and usage errors answer fast; own the context's whole life: progress
// bar and summary on stderr, results on stdout, a signal (Ctrl-C's SIGINT, SIGTERM,
// SIGHUP) aborting the job through its AbortSignal — also while results are ordered
// and written, which check the signal — removing temporary output, stopping the
// workers and exiting 128 + the signal's number. A second signal exits at once, after
// removing temporary output synchronously. A failed write of the results (a full
// disk, a closed stdout) fails the command and commits nothing.
import { readFileSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Kiln } from '../engine/index.js';
import { parseCommandLine, GLOBAL_OPTIONS, type CommandSpec, type Invocation } from './args.js';
import * as commands from './commands/index.js';
import type { Command } from './commands/command.js';
import { ExitCode, exitCodeOf, formatError, UsageError } from './errors.js';
import { OutputSink, writeStdout } from './output.js';
import { hasErrorCode, KilnError, OUTPUT_CLOSED } from '../engine/common/errors.js';
import { ConsoleProgress } from './progress.js';
import { plainInputBytes, settingsFrom, workersForInput, type CliSettings } from './settings.js';
import { StdinSpool, STDIN_NAME, stdinOperandIndex } from './stdin.js';
import { MetricsRecorder } from './summary.js';
import { announceUi, serveUntilAborted } from './ui.js';

const ALL: readonly Command[] = [commands.wordcount, commands.grep, commands.distinct, commands.sort, commands.join, commands.run, commands.explain, commands.history];

/** Runs the command line `argv` and resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    // Cluster mode's executor process: not a job command, so it has its own flags.
    if (argv[0] === 'executor') {
      const { executorMain } = await import('./commands/executor.js');
      return await executorMain(argv.slice(1));
    }
    const parsed = parseCommandLine(argv, ALL.map((c) => c.spec));
    switch (parsed.kind) {
      case 'version':
        await writeStdout(`kiln ${version()}\n`);
        return ExitCode.ok;
      case 'help':
        await writeStdout(parsed.command ? commandHelp(parsed.command) : generalHelp());
        return ExitCode.ok;
      case 'run': {
        if (parsed.invocation.command.name === 'history') {
          const { runHistory } = await import('./history.js');
          return await runHistory(parsed.invocation);
        }
        const settings = settingsFrom(parsed.invocation.flags, process.env);
        debug = settings.debug;
        return await execute(parsed.invocation, settings);
      }
      default: {
        const never: never = parsed;
        return never;
      }
    }
  } catch (error) {
    process.stderr.write(`${formatError(error, { debug, color: useColor() })}\n`);
    return exitCodeOf(error);
  }
}

async function execute(invocation: Invocation, settings: CliSettings): Promise<number> {
  const explained = invocation.explained;
  const target = commandNamed((explained ?? invocation).command.name);
  let operands = (explained ?? invocation).operands;
  const engine = { ...settings.engine };
  // Which operand is `-` (standard input, cli/stdin.ts): checked before anything starts.
  const firstInput = operands.length - target.inputs(operands).length;
  const stdinAt = target.spec.stdin ? stdinOperandIndex(operands, firstInput) : undefined;

  const abort = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  let sink: OutputSink | undefined;
  let kiln: Kiln | undefined;
  let spool: StdinSpool | undefined;
  // Removes temporary output, spill files and the copy of stdin at once and ends the process by the
  // signal: for a second signal, or a job that did not stop within STOP_GRACE_MS (a
  // worker blocked in a system call, such as a write to a pipe nobody reads).
  const forceStop = (signal: NodeJS.Signals): void => {
    sink?.abortSync();
    spool?.removeSync();
    if (kiln) rmSync(kiln.options.spillDir, { recursive: true, force: true });
    dieBySignal(signal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) forceStop(interrupted);
    interrupted = signal;
    stoppedBy = signal;
    process.stderr.write(`\nkiln: ${signal === 'SIGINT' ? 'interrupted' : `received ${signal}`} — stopping the job\n`);
    abort.abort(new KilnError('aborted', `interrupted (${signal})`));
    setTimeout(() => forceStop(signal), STOP_GRACE_MS).unref();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  // What killed runs left behind (SIGKILL, a power cut): their pid no longer exists.
  const { sweepStale } = await import('../engine/executor/io/stale.js');
  const stale = [...sweepStale(engine.spillDir ?? tmpdir(), 'spill'), ...(settings.output ? sweepStale(dirname(resolve(settings.output)), 'output') : [])];
  for (const d of stale) process.stderr.write(`kiln: removed ${d.path}, left by process ${d.pid}, which no longer runs\n`);

  const showProgress = !settings.quiet && (settings.progress === 'always' || (settings.progress === 'auto' && process.stderr.isTTY === true));
  const progress = showProgress ? new ConsoleProgress({ write: (s) => process.stderr.write(s), columns: terminalColumns(), now: () => performance.now() }) : undefined;
  const recorder = new MetricsRecorder();
  const started = performance.now();
  try {
    sink = explained || target.spec.name === 'run' ? undefined : await OutputSink.open(settings.format, settings.output, settings.overwrite);
    // Stdin is copied after the output is claimed (a refused --output costs no read),
    // and before the worker count is chosen from the inputs' size.
    const inputNames = new Map<string, string>();
    if (stdinAt !== undefined) {
      spool = await StdinSpool.fill(process.stdin, engine.spillDir ?? tmpdir(), abort.signal);
      operands = operands.map((o, i) => (i === stdinAt ? spool!.path : o));
      inputNames.set(spool.path, STDIN_NAME);
    }
    if (!settings.workersChosen) {
      const inputs = target.inputs(operands);
      if (inputs.length > 0) engine.workers = workersForInput(plainInputBytes(inputs));
    }
    const { Kiln } = await import('../engine/index.js');
    kiln = await Kiln.start({ appName: `kiln ${target.spec.name}`, ...engine, listener: fanOut([recorder, progress]), signal: abort.signal });
    recorder.attach(kiln);
    const rawFd = sink?.rawFd();
    announceUi(kiln, (s) => process.stderr.write(s));
    const plan = target.plan({ kiln, operands, inputNames, flags: (explained ?? invocation).flags, signal: abort.signal, rawFd, ...(sink ? { rawLabel: sink.rawLabel() } : {}) });
    if (explained) {
      await writeStdout(`${plan.explain().trimEnd()}\n`);
      return ExitCode.ok;
    }
    progress?.start();
    const result = await plan.run();
    progress?.finish();
    abort.signal.throwIfAborted();
    await sink?.rows(result.table, result.rows, abort.signal);
    abort.signal.throwIfAborted();
    await sink?.close();
    const wallMs = performance.now() - started;
    if (!settings.quiet) process.stderr.write(`${recorder.summary(wallMs)}\n`);
    if (settings.metrics) await recorder.write(settings.metrics, { command: target.spec.name, wallMs });
    if (settings.uiWait) await serveUntilAborted(kiln, abort.signal, (s) => process.stderr.write(s));
    return ExitCode.ok;
  } catch (error) {
    progress?.finish();
    await sink?.abort().catch(() => undefined);
    if (interrupted) return signalExitCode(interrupted);
    // The reader of stdout went away (`kiln sort f | head`): stop quietly, as Unix tools do.
    if (!settings.output && hasErrorCode(error, OUTPUT_CLOSED)) return ExitCode.ok;
    process.stderr.write(`${formatError(error, { debug: settings.debug, color: useColor() })}\n`);
    return exitCodeOf(error);
  } finally {
    await kiln?.stop().catch(() => undefined);
    spool?.removeSync();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/** Signals that stop a job: Ctrl-C, what `timeout`, systemd and `docker stop` send, and a closed terminal. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** How long a signalled job may take to stop before its clean-up is forced. */
const STOP_GRACE_MS = 1500;

/** The signal that stopped the command, if one did: the process then ends by it. */
let stoppedBy: NodeJS.Signals | undefined;

/** The shell's convention: 128 + the signal's number (130, 143, 129). */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 2);
}

/**
 * Ends the process by `signal` with its default action, as a program that caught it
 * and cleaned up should (the shell reports 128 + its number: 130, 143, 129, and a
 * calling script sees it was interrupted). Unlike process.exit(), this does not wait
 * for a thread blocked in a system call.
 */
function dieBySignal(signal: NodeJS.Signals): never {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // The default action ends the process before this line; should it not, still exit.
  process.exit(signalExitCode(signal));
}

function commandNamed(name: string): Command {
  const c = ALL.find((x) => x.spec.name === name);
  if (!c) throw new UsageError(`unknown command "${name}"`);
  return c;
}

/** A listener that forwards every event to each of `listeners`. */
function fanOut(listeners: readonly (object | undefined)[]): Record<string, (...args: unknown[]) => void> {
  const present = listeners.filter((l): l is Record<string, unknown> => l !== undefined);
  const events = ['onStageSubmitted', 'onStageCompleted', 'onTaskStart', 'onTaskEnd'];
  return Object.fromEntries(
    events.map((e) => [
      e,
      (...args: unknown[]) => {
        for (const l of present) (l[e] as ((...a: unknown[]) => void) | undefined)?.apply(l, args);
      },
    ]),
  );
}

function terminalColumns(): number {
  const fromEnv = Number(process.env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return 80;
}

function useColor(): boolean {
  // https://no-color.org: any non-empty NO_COLOR disables colour.
  return process.stderr.isTTY === true && !process.env.NO_COLOR;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function generalHelp(): string {
  const lines = [
    'kiln — a Spark-style map-reduce engine with WebAssembly kernels',
    '',
    'Usage: kiln COMMAND [FLAGS] FILES...   (FILES: files, directories or globs;',
    '                                        - or none: standard input)',
    '',
    'Commands:',
    ...ALL.map((c) => `  ${c.spec.name.padEnd(10)} ${c.spec.summary}`),
    `  ${'executor'.padEnd(10)} run one cluster-mode executor (see kiln executor --help)`,
    '',
    ...globalFlagHelp(),
    '',
    'Run `kiln COMMAND --help` for a command\'s flags. Exit codes: 0 ok, 1 failure while',
    'running, 2 usage error, 130 interrupted (Ctrl-C).',
  ];
  return `${lines.join('\n')}\n`;
}

function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: kiln ${spec.usage}`, '', spec.summary];
  if (spec.flagHelp.length > 0) lines.push('', 'Flags:', ...spec.flagHelp.map((l) => `  ${l}`));
  lines.push('', ...globalFlagHelp());
  return `${lines.join('\n')}\n`;
}

function globalFlagHelp(): string[] {
  // Kept next to GLOBAL_OPTIONS' names so a new flag shows up as undocumented here.
  const help: Record<keyof typeof GLOBAL_OPTIONS, string> = {
    workers: '-w, --workers N         worker threads (env KILN_WORKERS; default: CPUs, fewer for small inputs)',
    master: '    --master URL        local[N] (default: threads) or local-cluster[N,cores,memoryMiB] (env KILN_MASTER)',
    partitions: '-p, --partitions N      partitions of shuffles',
    memory: '    --memory SIZE       shuffle memory before spilling to disk, e.g. 512m, 2g (env KILN_MEMORY)',
    'worker-memory': '    --worker-memory SIZE  scratch memory per worker thread: the longest line, tables, sorts (env KILN_WORKER_MEMORY)',
    'split-size': '    --split-size SIZE   largest input split (default 128m)',
    io: '    --io read|mmap      how input splits are read (default read)',
    'max-record-bytes': '    --max-record-bytes SIZE  longest input line accepted (default 2g)',
    output: '-o, --output DIR        write results to DIR/part-00000, committed atomically',
    overwrite: '    --overwrite         replace an existing --output directory',
    format: '    --format FMT        text (default), tsv or json (JSON Lines)',
    quiet: '-q, --quiet             no progress bar and no summary line',
    progress: '    --progress WHEN     auto (default: when stderr is a terminal), always, never',
    metrics: '    --metrics FILE      write job, stage and task metrics as JSON',
    'event-log': '    --event-log DIR     write a Spark-format event log to DIR (env KILN_EVENT_LOG; read by kiln history)',
    ui: '    --ui                serve the web UI and REST API while the job runs (prints the URL)',
    'ui-wait': '    --ui-wait           like --ui, and keep serving after the job until Ctrl-C',
    'ui-port': '    --ui-port N         UI port (default 4040, or the next free one)',
    'ui-host': '    --ui-host HOST      UI address (default 127.0.0.1; any other needs the printed token)',
    debug: '    --debug             print stack traces with errors',
    help: '-h, --help              this help',
    version: '-V, --version           print the version',
  };
  return ['Global flags:', ...Object.values(help).map((l) => `  ${l}`)];
}

// Started as a program (not imported by tests).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // The reader went away (`kiln sort f | head`): stop quietly, as Unix tools do.
  if (e.code === 'EPIPE') process.exit(ExitCode.ok);
  // Any other failure reaches the write that caused it (its callback), which fails the
  // command with a one-line message; here it must not become an uncaught exception.
});
const code = await main(process.argv.slice(2));
if (stoppedBy) dieBySignal(stoppedBy);
process.exitCode = code;
// Worker threads are stopped by now; this only guards against a stray handle.
setTimeout(() => process.exit(code), 2000).unref();
