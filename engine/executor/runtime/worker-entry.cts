// The file piscina loads in each worker thread. Policy: the task module (worker.ts, an
// ES module) is loaded with an asynchronous import(), never with require().
//
// Why a CommonJS shim: piscina's worker first tries `require(filename)` and only falls
// back to `import()` when that throws. On Node >= 20.19 require() of an ES module
// succeeds (require(esm)), loading the whole module graph synchronously. If the pool is
// destroyed while a worker is inside that synchronous load (a job that used fewer
// workers than the pool has, then Kiln.stop()), Worker.terminate() lands in
// ModuleWrap::InstantiateSync, which then calls v8::Module::IsGraphAsync() on a module
// whose instantiation was cut short, and V8 aborts the whole process ("FATAL ERROR:
// v8::Module::IsGraphAsync ... must be used on an instantiated module", SIGABRT, exit
// status 134) — after the job's output was printed. Terminating a worker inside an
// asynchronous import() has not aborted once in our stress runs (about 1000 stops timed
// into the load, where require(esm) aborted once in 40 to 80; test/engine-stop.test.ts).
//
// Considered instead: waiting in close() until every worker reports ready (needs
// piscina's private ready message, since piscina marks its first workers ready at once,
// and makes stop() wait out a load it then throws away); starting workers lazily (a job
// with fewer tasks than workers still leaves threads loading at stop); Worker execArgv
// --no-experimental-require-module (works here, but whether a Worker accepts the flag
// depends on the Node release).
//
// The export is a Promise of the task function, a form piscina documents ("the worker
// module may export a Promise that resolves the handler function"): the worker reports
// ready only once the import has finished, as before. A failed import rejects that
// Promise, which piscina awaits again on its fallback path and reports as the worker's
// error: on the task it was given, or as an 'error' event of the pool. The rejection is
// tagged with TASK_MODULE_ERROR, so the driver can tell a broken build (fail every job
// of the context, say to rebuild) from other worker failures (task-scheduler.ts).
import { join } from 'node:path';
import type { TaskResult, TaskSpec } from '../../common/protocol/protocol.js';

type RunTask = (spec: TaskSpec) => TaskResult;

/**
 * The `code` of a failed import's error. Repeats protocol.ts' TASK_MODULE_ERROR: this
 * shim must not load protocol.js (an ES module) before the import below.
 */
const TASK_MODULE_ERROR = 'KILN_TASK_MODULE';

// tsc keeps import() as is in a .cts file (module NodeNext); './worker.js' resolves to
// worker.ts when the engine runs from source under tsx.
const handler: Promise<RunTask> = import('./worker.js').then(
  (m) => m.default,
  (cause: unknown) => {
    // The error reaches the driver as a copy: what it needs is in message and code.
    const why = String(cause instanceof Error ? cause.message : cause).split('\n')[0];
    throw Object.assign(new Error(`cannot load the task module ${join(__dirname, 'worker.js')}: ${why}`), { code: TASK_MODULE_ERROR });
  },
);

/** The task function of worker.ts, once its module graph has loaded asynchronously. */
export = handler;
