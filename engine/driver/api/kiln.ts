// Kiln: the context (Spark's SparkContext). Policy: one context owns one shared
// kernel memory, one worker pool, the map-output tracker and the broadcast registry;
// it creates source datasets and runs every job. Its defaults follow Spark's local
// mode (workers = CPU count, 128 MiB splits, shuffle partitions = upstream partitions).
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Broadcast, onBroadcastRelease } from '../../common/functions/index.js';
import { compareKeys } from '../../common/codec/index.js';
import { KilnError } from '../../common/errors.js';
import { listInputFilesSync, type IoBackend } from '../../executor/io/index.js';
import { planTextPartitions } from './text-partitions.js';
import * as sources from './sources.js';
import { createSharedMemory, kernelModule, preferOptimizedWasm } from '../../executor/kernels/module.js';
import { KernelRuntime } from '../../executor/kernels/runtime.js';
import { hashBytes } from '../../executor/kernels/hash.js';
import { MemoryBudget, parseSize } from '../../executor/memory/budget.js';
import { checkEncoding, type TextEncoding } from '../../common/io/text-encoding.js';
import { sweepStale } from '../../executor/io/stale.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../../executor/io/split-reader.js';
import { adviseHugePages } from '../../executor/memory/huge-pages.js';
import type { SinkSpec } from '../../common/protocol/protocol.js';
import { TaskScheduler } from '../scheduler/task-scheduler.js';
import { DagScheduler, explainStages, type JobListener, type JobMetrics } from '../plan/dag-scheduler.js';
import { describe, type LineageNode } from '../plan/lineage.js';
import { MapOutputTracker } from '../scheduler/map-output-tracker.js';
import { checkPartitions, type PartitionerSpec } from '../../common/protocol/partitioner.js';
import { actionCallSite } from '../monitor/call-site.js';
import { chainListeners, Monitor } from '../monitor/monitor.js';
import type { UiOptions } from '../ui/server.js';
import { BroadcastRegistry } from './broadcasts.js';
import { StorageManager } from '../storage/storage-manager.js';
import { DecodedSlots } from '../storage/decoded-slots.js';
import { PersistentDatasets } from './persistence.js';
import { Checkpoints } from './checkpoints.js';
import { storageJson } from './storage-status.js';
import { CollectionAccumulator, CustomAccumulator, NumericAccumulator, type AccumulatorOps } from '../../common/functions/accumulator.js';
import { Dataset, TextDataset, type ActionOptions } from './dataset.js';
import { parseMaster, type Master } from '../../cluster/master-url.js';
import type { LocalCluster } from '../../cluster/launcher.js';

/** Options of {@link Kiln.start}. */
export interface KilnOptions {
  /**
   * Where tasks run, as Spark's master URL: `local[N]` / `local[*]` (worker threads in
   * this process, the default) or `local-cluster[N,cores,memoryMiB]` (N executor
   * processes on 127.0.0.1, authenticated; see docs/cluster.md for what runs there yet).
   */
  master?: string;
  /** Cluster mode: milliseconds between executor heartbeats (default 10 000) and before a silent peer is lost (default 30 000). */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Cluster mode: most bytes of a job stage's results sent back by executors (default 1 GiB, Spark's spark.driver.maxResultSize). */
  maxResultSize?: number | string;
  /** Worker threads (default: the CPU count); 0 runs every task inline in this thread (for tiny jobs). */
  workers?: number;
  /** Memory budget for in-memory shuffle blocks (bytes or "2g"); beyond it blocks spill to disk. Default 1 GiB. */
  memory?: number | string;
  /**
   * Most bytes of persisted datasets' blocks held in memory (bytes or "512m"; default
   * half of `memory`, at most `memory`): encoded blocks in `memory`'s pool plus the
   * estimated heap bytes of decoded copies in worker threads (the deserialized
   * levels, e.g. MEMORY_ONLY). Past it, least-recently-used blocks are evicted
   * (MEMORY_AND_DISK ones to the spill directory); a shuffle short of memory evicts
   * encoded blocks too, down to half of this.
   */
  storageMemory?: number | string;
  /**
   * Milliseconds a task over a cached partition waits for the worker thread that holds
   * its decoded copy, when that thread is busy, before it runs on any free thread and
   * reads the encoded block (default 3000, Spark's spark.locality.wait).
   */
  localityWait?: number;
  /** Scratch memory per worker thread for splits, tables and sorts (default 512 MiB, less on many cores; touched lazily). */
  workerMemory?: number | string;
  /** Largest split of an input file (default 128 MiB). */
  maxPartitionBytes?: number | string;
  /** Partitions of shuffles when an operator is not told (default: the parent's partition count). */
  shufflePartitions?: number;
  /** How splits are read: positional reads (default) or mmap (see bench/README.md). */
  io?: IoBackend;
  /** Attempts per task before the job fails (default 4, Spark's spark.task.maxFailures). */
  maxAttempts?: number;
  /**
   * Longest input line (record) accepted, in bytes or a size string (default 2 GiB). A
   * longer line fails the job with an error naming the file, the byte offset and this
   * setting (README "Long records").
   */
  maxRecordBytes?: number | string;
  /**
   * Directory under which spilled shuffle blocks go (default: the OS temp dir). Each
   * context makes its own `kiln-<pid>-<random>` directory inside it and removes only
   * that one at stop (as Spark's blockmgr-<uuid> under spark.local.dir), so pointing
   * this at a directory that holds other files never loses them.
   */
  spillDir?: string;
  /** Observer of stages and tasks (progress bars, metrics). */
  listener?: JobListener;
  /** Cancels every job of the context when aborted (as SparkContext.cancelAllJobs); actions reject. */
  signal?: AbortSignal;
  /**
   * Ask Linux for transparent huge pages on the kernel memory (default true; needs the
   * optional native binding). First touch of fresh memory is about twice as cheap with
   * them on these VMs (see engine/executor/memory/huge-pages.ts).
   */
  hugePages?: boolean;
  /**
   * Directory for the event log (Spark's spark.eventLog.dir): one JSON Lines file of
   * Spark-format events per context, `DIR/APP_ID.inprogress` until stop() renames it
   * to `DIR/APP_ID`. Default: the KILN_EVENT_LOG environment variable, else none.
   */
  eventLog?: string;
  /** Serve the web UI and REST API: true (127.0.0.1:4040 or the next free port) or { port, host }; see kiln.uiUrl. */
  ui?: boolean | UiOptions;
  /** The application's name in the UI and the event log (default "kiln"). */
  appName?: string;
  /**
   * Largest side (map-output bytes) an auto join broadcasts (bytes or "10m"; default
   * 10 MiB, Spark's spark.sql.autoBroadcastJoinThreshold); -1 turns broadcasting off.
   */
  autoBroadcastJoinThreshold?: number | string;
  /**
   * A join's reduce partition above this size and 5x the median is split (default
   * 64 MiB; Spark's skewedPartitionThresholdInBytes is 256 MB).
   */
  skewJoinThreshold?: number | string;
}

/** Contexts started by this process: part of the application id (two may start in one millisecond). */
let contextsStarted = 0;

/** Longest Kiln.start waits for its worker threads to load (then jobs just queue). */
const WORKER_READY_TIMEOUT_MS = 10_000;

/** Options after defaults. */
export interface ResolvedOptions {
  readonly workers: number;
  readonly memory: number;
  readonly workerMemory: number;
  readonly maxPartitionBytes: number;
  readonly shufflePartitions: number | undefined;
  readonly io: IoBackend;
  readonly maxAttempts: number;
  readonly maxRecordBytes: number;
  readonly spillDir: string;
  /** Most bytes of cached blocks in memory. */
  readonly storageMemory: number;
}

/** The kiln context: sources, broadcast variables, and the engine that runs jobs. */
export class Kiln {
  private nextShuffleId = 0;
  private stopped = false;
  private readonly shuffleGc: FinalizationRegistry<number>;
  private readonly unsubscribe: () => void;

  private constructor(
    /** The options in force. */
    readonly options: ResolvedOptions,
    private readonly driver: KernelRuntime,
    private readonly tasks: TaskScheduler,
    private readonly tracker: MapOutputTracker,
    private readonly broadcasts: BroadcastRegistry,
    private readonly dag: DagScheduler,
    private listener: JobListener | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly monitor: Monitor | undefined,
    /** @internal Persisted datasets' blocks (engine/driver/storage/). */
    readonly storage: StorageManager,
  ) {
    // A destroyed or collected broadcast frees its bytes (workers drop their copies lazily).
    this.unsubscribe = onBroadcastRelease((id, reason) => {
      if (reason !== 'unpersist') this.broadcasts.remove(id);
    });
    // Shuffle output lives as long as the dataset that reads it (Spark's ContextCleaner).
    this.shuffleGc = new FinalizationRegistry((shuffleId) => {
      if (this.stopped) return;
      this.tracker.unregister(shuffleId);
      this.dag.planner.forget(shuffleId);
    });
  }

  /** Starts a context: the shared memory, the kernel module and the worker pool. */
  static async start(options: KilnOptions = {}): Promise<Kiln> {
    const master = options.master !== undefined ? parseMaster(options.master) : undefined;
    if (master?.kind === 'ssh') throw new KilnError('usage', `master "${options.master}": ssh launching is not built yet (docs/cluster.md); use local-cluster[N,cores,memoryMiB] or start \`kiln executor\` yourself`);
    const workers = options.workers ?? (master?.kind === 'local' ? master.threads : availableParallelism());
    if (workers !== 0) checkPartitions(workers, 'workers');
    const shuffleBytes = parseSize(options.memory ?? '1g');
    const resolved: ResolvedOptions = {
      workers,
      memory: shuffleBytes,
      workerMemory: options.workerMemory !== undefined ? parseSize(options.workerMemory) : defaultWorkerMemory(workers, shuffleBytes),
      maxPartitionBytes: parseSize(options.maxPartitionBytes ?? '128m'),
      shufflePartitions: options.shufflePartitions,
      io: options.io ?? 'read',
      maxAttempts: options.maxAttempts ?? (master?.kind === 'local' ? master.maxFailures : undefined) ?? 4,
      maxRecordBytes: options.maxRecordBytes !== undefined ? parseSize(options.maxRecordBytes) : DEFAULT_MAX_RECORD_BYTES,
      spillDir: join(options.spillDir ?? tmpdir(), `kiln-${process.pid}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`),
      storageMemory: options.storageMemory !== undefined ? parseSize(options.storageMemory) : Math.floor(shuffleBytes / 2),
    };
    // Spill directories of processes that died without removing them (SIGKILL).
    for (const d of sweepStale(dirname(resolved.spillDir), 'spill')) {
      process.emitWarning(`removed ${d.path}, left by process ${d.pid}, which no longer runs`, { type: 'KilnWarning', code: 'KILN_STALE_REMOVED' });
    }
    if (resolved.storageMemory > resolved.memory) throw new KilnError('usage', `storageMemory (${resolved.storageMemory} bytes) cannot exceed memory (${resolved.memory} bytes), whose pool holds the cached blocks`);
    if (resolved.maxPartitionBytes < 1) throw new KilnError('usage', 'maxPartitionBytes must be at least 1 byte');
    preferOptimizedWasm();
    const module = kernelModule();
    const memory = createSharedMemory(1 << 20);
    const probe = KernelRuntime.create({ module, memory });
    let budget: MemoryBudget;
    try {
      budget = new MemoryBudget(memory, probe.exports.heapBase() >>> 0, {
        driverBytes: 64 << 20,
        workerBytes: resolved.workerMemory,
        workers,
        shuffleBytes: resolved.memory,
      });
    } catch (e) {
      throw new KilnError('resources', (e as Error).message);
    }
    // Before any task touches it (first touch is a job's largest fixed cost here).
    if (workers > 0 && options.hugePages !== false) adviseHugePages(memory);
    const driver = KernelRuntime.create({ module, memory, span: budget.driver });
    const slots = new DecodedSlots();
    const tasks = new TaskScheduler(budget, { module, memory, decodedSlots: slots.buffer }, workers, undefined, workerHeapMb(resolved.storageMemory));
    if (options.localityWait !== undefined) {
      if (!(options.localityWait >= 0)) throw new KilnError('usage', `localityWait must be a number of milliseconds >= 0 (got ${options.localityWait})`);
      tasks.localityWaitMs = options.localityWait;
    }
    // Started when its worker threads are (bounded: a slow machine only delays jobs).
    await tasks.ready(WORKER_READY_TIMEOUT_MS);
    const tracker = new MapOutputTracker((r) => budget.releaseShuffle(r));
    const broadcasts = new BroadcastRegistry(driver);
    const threshold = options.autoBroadcastJoinThreshold === undefined ? 10 * 2 ** 20 : Number(options.autoBroadcastJoinThreshold) < 0 ? -1 : parseSize(options.autoBroadcastJoinThreshold);
    const skewBytes = parseSize(options.skewJoinThreshold ?? '64m');
    // Spark's unified memory: execution may evict storage down to half of storageMemory.
    const storage = new StorageManager(budget, memory, resolved.storageMemory, Math.floor(resolved.storageMemory / 2), resolved.spillDir, slots);
    budget.onPressure = (bytes) => storage.evictForExecution(bytes);
    // Decoded copies are reserved through the budget, granted against storageMemory.
    budget.onDecoded = (request) => storage.reserveDecoded(request);
    budget.onBlock = (request) => storage.reserveBlock(request);
    // Locality: a task over cached partitions prefers the thread holding their decoded copies.
    tasks.preferThread = (task) => storage.preferredThread(task.node);
    storage.liveThreads = () => tasks.threadIds();
    const dag = new DagScheduler(tasks, tracker, broadcasts, {
      storage,
      io: resolved.io,
      maxRecordBytes: resolved.maxRecordBytes,
      maxAttempts: resolved.maxAttempts,
      spillDir: resolved.spillDir,
      joins: { threshold, skew: { factor: 5, minBytes: skewBytes } },
      workers: Math.max(1, workers),
      memoryBytes: resolved.memory,
      // A join's hash tables are reserved from the shuffle budget while the job runs.
      reserve: (bytes) => {
        if (bytes <= 0) return () => {};
        const region = budget.reserveShuffle(bytes);
        return region ? () => budget.releaseShuffle(region) : undefined;
      },
    });
    const eventLog = options.eventLog ?? (process.env.KILN_EVENT_LOG?.trim() || undefined);
    let monitor: Monitor | undefined;
    try {
      monitor = await Monitor.start({ eventLog, ui: options.ui }, {
        id: `kiln-${Date.now()}-${process.pid}-${contextsStarted++}`,
        name: options.appName ?? 'kiln',
        workers,
        properties: Object.entries({ ...resolved, eventLog: eventLog ?? '', ui: options.ui === undefined ? 'false' : JSON.stringify(options.ui) }).map(([k, v]) => [`kiln.${k}`, String(v ?? '')] as const),
      });
    } catch (e) {
      await tasks.close();
      throw e;
    }
    const kiln = new Kiln(resolved, driver, tasks, tracker, broadcasts, dag, options.listener, options.signal, monitor, storage);
    if (master?.kind === 'local-cluster') {
      try {
        kiln.localCluster = await startLocalCluster(master, options);
        kiln.localCluster.routeTasks(tasks, parseSize(options.maxResultSize ?? '1g'));
      } catch (e) {
        await kiln.stop();
        throw e;
      }
    }
    return kiln;
  }

  /** @internal This context's task scheduler (an executor runs remote tasks through it: engine/cluster/task-service.ts). */
  get taskScheduler(): TaskScheduler {
    return this.tasks;
  }

  /** @internal The local-cluster executors (engine/cluster/launcher.ts), when master is local-cluster[...]. */
  localCluster: LocalCluster | undefined;

  /**
   * Lines of text files: a path, a directory (its files), a glob, or a list of them.
   * Files are cut into splits of at most maxPartitionBytes holding whole lines; many
   * small files share a partition. Lines lose their "\n" or "\r\n". A `.gz` file is
   * decompressed and read whole by one task of its own (gzip is not splittable).
   */
  textFile(
    paths: string | readonly string[],
    options: {
      /** Default: the worker count. */
      minPartitions?: number;
      /** Overrides the context's maxPartitionBytes for this source. */
      maxPartitionBytes?: number;
      /**
       * 'utf8' (default): lines are decoded as UTF-8, a BOM kept as U+FEFF, invalid
       * bytes as U+FFFD. 'latin1': one char per byte, byte-exact (see
       * engine/common/io/text-encoding.ts).
       */
      encoding?: TextEncoding;
    } = {},
  ): TextDataset {
    this.checkRunning();
    const files = listInputFilesSync(paths);
    const maxPartitionBytes = options.maxPartitionBytes ?? this.options.maxPartitionBytes;
    const partitions = planTextPartitions(files, maxPartitionBytes, options.minPartitions ?? this.balancedSplits(files, maxPartitionBytes));
    const label = typeof paths === 'string' ? paths : paths.join(', ');
    const encoding = checkEncoding(options.encoding, 'textFile');
    return new TextDataset(this, { kind: 'text', partitions, label, encoding });
  }

  /**
   * The default split count: a whole number of waves of tasks over the workers
   * (workers x ceil(total / (workers x maxPartitionBytes))), so splits come out of
   * equal size and no worker idles in the last wave — 430 MB on 2 workers is 4 splits
   * of ~108 MB, where 128 MiB splits would leave one worker a 27 MB tail.
   */
  private balancedSplits(files: readonly { size: number }[], maxPartitionBytes: number): number {
    const workers = Math.max(1, this.options.workers);
    const total = files.reduce((sum, f) => sum + f.size, 0);
    return workers * Math.max(1, Math.ceil(total / (workers * maxPartitionBytes)));
  }

  /** A dataset of `data`, cut into `numSlices` partitions (default: the worker count). */
  parallelize<T>(data: readonly T[], numSlices = Math.max(1, this.options.workers)): Dataset<T> {
    this.checkRunning();
    checkPartitions(numSlices, 'numSlices');
    const slices = Array.from({ length: numSlices }, (_, i) => data.slice(Math.floor((i * data.length) / numSlices), Math.floor(((i + 1) * data.length) / numSlices)));
    return new Dataset<T>(this, { kind: 'slices', slices });
  }

  /** start, start + step, ... below end (0 until start with one argument), in `slices` partitions (Spark's range). */
  range(start: number, end?: number, step = 1, slices = Math.max(1, this.options.workers)): Dataset<number> {
    this.checkRunning();
    checkPartitions(slices, 'numSlices');
    return sources.range(this, start, end, step, slices);
  }

  /** A dataset with no partitions and no records (Spark's emptyRDD). */
  emptyDataset<T>(): Dataset<T> {
    this.checkRunning();
    return sources.emptyDataset<T>(this);
  }

  /** The records of all `datasets`, partitions concatenated (Spark's SparkContext.union). */
  union<T>(...datasets: Dataset<T>[]): Dataset<T> {
    this.checkRunning();
    return sources.union(this, datasets);
  }

  /** Each file of a path, directory or glob as [path, content], read whole by its task (Spark's wholeTextFiles). */
  wholeTextFiles(paths: string | readonly string[], options: { minPartitions?: number } = {}): Dataset<[string, string]> {
    this.checkRunning();
    if (options.minPartitions !== undefined) checkPartitions(options.minPartitions, 'minPartitions');
    return sources.wholeTextFiles(this, paths, options.minPartitions);
  }

  /**
   * A read-only value shared with every task: serialized once into shared memory and
   * deserialized once per worker. Pass it to a function as a capture and read `.value`:
   * `ds.map((x) => table.value[x], { table: kiln.broadcast(t) })`.
   */
  broadcast<T>(value: T): Broadcast<T> {
    this.checkRunning();
    const b = new Broadcast<T>(value);
    const bytes = this.broadcasts.register(b.id, value);
    this.monitor?.recorder.broadcastCreated(b.id, bytes);
    return b;
  }

  /**
   * A sum of integers with its count and avg (Spark's longAccumulator). Capture it and
   * add in tasks: `ds.foreach((x) => { if (!x) bad.add(1); }, { bad })`; read `value`
   * on the driver. Exactly once per partition in actions; in transformations it
   * counts each time a partition is computed (see {@link Accumulator}). A named one
   * shows in `lastJobMetrics.stages[].accumulables`.
   */
  longAccumulator(name?: string): NumericAccumulator {
    return new NumericAccumulator('long', name);
  }

  /** A sum of numbers with its count and avg (Spark's doubleAccumulator); as {@link longAccumulator}. */
  doubleAccumulator(name?: string): NumericAccumulator {
    return new NumericAccumulator('double', name);
  }

  /** The values tasks add, collected on the driver (Spark's collectionAccumulator); as {@link longAccumulator}. */
  collectionAccumulator<T>(name?: string): CollectionAccumulator<T> {
    return new CollectionAccumulator<T>(name);
  }

  /**
   * A custom accumulator: each task starts from a copy of `zero` and folds its values
   * with `add` (shipped to the workers, so self-contained); the driver combines task
   * values with `merge`. Both return the new value.
   */
  accumulator<V, In = V>(zero: V, ops: AccumulatorOps<V, In>, name?: string): CustomAccumulator<V, In> {
    return new CustomAccumulator<V, In>(zero, ops, name);
  }

  /** @internal The datasets persisted in this context (see getPersistentDatasets). */
  readonly persistent = new PersistentDatasets(this);

  /** @internal Checkpoint directory and marked datasets (engine/driver/api/checkpoints.ts). */
  readonly checkpoints = new Checkpoints(this);

  /**
   * Sets the directory reliable checkpoints are written under (Spark's
   * setCheckpointDir): kiln creates it and a fresh subdirectory for this context, and
   * a directory that cannot be created or written is a usage error now, before any job.
   */
  setCheckpointDir(dir: string): void {
    this.checkRunning();
    this.checkpoints.setDir(dir);
  }

  /** The subdirectory of the checkpoint directory this context writes to, if one is set (Spark's getCheckpointDir). */
  getCheckpointDir(): string | undefined {
    return this.checkpoints.dir;
  }

  /** The datasets persisted now, by id (Spark's getPersistentRDDs): those garbage-collected or unpersisted are gone. */
  getPersistentDatasets(): Map<number, Dataset<unknown>> {
    return this.persistent.live();
  }

  /** Metrics of the last job (per stage, per task). */
  get lastJobMetrics(): JobMetrics | undefined {
    return this.dag.lastJob;
  }

  /** The web UI's address (with its token on a non-loopback bind), when `ui` is on. */
  get uiUrl(): string | undefined {
    return this.monitor?.uiUrl;
  }

  /** The event log being written (`DIR/APP_ID.inprogress`), when `eventLog` is on. */
  get eventLogPath(): string | undefined {
    return this.monitor?.eventLogPath;
  }

  /** Sets the observer of stages and tasks. */
  setListener(listener: JobListener | undefined): void {
    this.listener = listener;
  }

  /** Stops the workers and drops all shuffle output and spill files. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    try {
      await this.localCluster?.stop();
      await this.tasks.close();
    } finally {
      this.tracker.clear();
      this.storage.clear();
      rmSync(this.options.spillDir, { recursive: true, force: true });
      await this.monitor?.close();
    }
  }

  /** @internal Runs a job: `sink` over the partitions of `node`. */
  async runJob(node: LineageNode, sink: SinkSpec, options: ActionOptions & { partitions?: readonly number[] } = {}): Promise<unknown[]> {
    this.checkRunning();
    const signals = [options.signal, this.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    // The job's name in the UI and event log (only with a monitor: a stack trace costs).
    const callSite = this.monitor ? actionCallSite() : undefined;
    let result: unknown[];
    try {
      result = await this.dag.runJob(node, sink, { signal, listener: this.jobListener(), ...(options.partitions ? { partitions: options.partitions } : {}), ...(callSite ? { callSite } : {}) });
    } finally {
      this.reportStorage();
    }
    // Spark's doCheckpoint: marked datasets the action reached are written now.
    await this.checkpoints.afterJob(node);
    return result;
  }

  /** @internal Tells the monitor (UI Storage page, event log) what every persisted dataset holds now. */
  reportStorage(): void {
    if (!this.monitor || this.stopped) return;
    const live = this.persistent.live();
    const rdds = this.storage.datasetIds.flatMap((id) => {
      const f = this.storage.figures(id);
      const level = this.storage.levelOf(id);
      if (!f || !level) return [];
      const ds = live.get(id);
      return [storageJson(id, ds ? (ds.name ?? describe(ds).label) : `dataset ${id}`, ds ? ds.numPartitions : f.cachedPartitions, level, f)];
    });
    this.monitor.recorder.storageStatus(rdds);
  }

  /** @internal The plan of a job over `node`, as text. */
  explain(node: LineageNode): string {
    return explainStages(this.dag.plan(node), this.tracker);
  }

  /** @internal XXH64 of key bytes, as the hash partitioner computes it (lookup's partition). */
  hashKeyBytes(bytes: Uint8Array): bigint {
    return hashBytes(this.driver, bytes);
  }

  /** @internal A new shuffle id. */
  newShuffleId(): number {
    return this.nextShuffleId++;
  }

  /** @internal Drops a shuffle's output when the dataset reading it is garbage-collected. */
  trackShuffle(ds: object, shuffleId: number): void {
    this.shuffleGc.register(ds, shuffleId);
  }

  /**
   * @internal Spark's RangePartitioner: samples about min(20 x partitions, 1e6) keys
   * (3x oversampled per input partition) in a job of its own, weights each sample by
   * its partition's size, and cuts the sorted samples into `partitions` ranges of
   * equal weight. Yields fewer partitions when there are fewer distinct keys.
   */
  async rangePartitioner(parent: Dataset<[unknown, unknown]>, partitions: number, ascending: boolean): Promise<PartitionerSpec> {
    if (partitions === 1) return { kind: 'range', partitions: 1, bounds: [], ascending };
    const sampleSize = Math.min(20 * partitions, 1e6);
    const perPartition = Math.ceil((3 * sampleSize) / Math.max(1, parent.numPartitions));
    const results = (await this.dag.runJob(parent, { t: 'sampleKeys', size: perPartition, seed: 0x5eed }, { listener: this.listener })) as { sample: Uint8Array[]; seen: number }[];
    const weighted: { key: Uint8Array; weight: number }[] = [];
    for (const r of results) for (const key of r.sample) weighted.push({ key, weight: r.seen / r.sample.length });
    weighted.sort((a, b) => Buffer.compare(a.key, b.key));
    const total = weighted.reduce((s, w) => s + w.weight, 0);
    const step = total / partitions;
    const bounds: Uint8Array[] = [];
    let acc = 0;
    let target = step;
    for (const w of weighted) {
      acc += w.weight;
      if (acc >= target && bounds.length < partitions - 1) {
        const last = bounds[bounds.length - 1];
        if (!last || Buffer.compare(last, w.key) < 0) bounds.push(w.key);
        target += step;
      }
    }
    return { kind: 'range', partitions: bounds.length + 1, bounds, ascending };
  }

  /** The monitor's listener (first: it must see a job before the user's listener can throw) and the user's. */
  private jobListener(): JobListener | undefined {
    return chainListeners(this.monitor?.listener, this.listener);
  }

  private checkRunning(): void {
    if (this.stopped) throw new KilnError('usage', 'this Kiln context was stopped; start a new one with Kiln.start()');
  }
}

/**
 * Scratch per worker: 512 MiB, or less so that every span, the shuffle budget and the
 * driver's span fit the 4 GiB a wasm32 memory can address (many-core machines).
 */
function defaultWorkerMemory(workers: number, shuffleBytes: number): number {
  const room = 3.75 * 2 ** 30 - shuffleBytes - (64 << 20);
  const share = Math.floor(room / (workers + 2) / (1 << 20)) * (1 << 20);
  return Math.max(32 << 20, Math.min(512 << 20, share));
}

/**
 * Each worker thread's heap limit (MiB): one thread may hold every decoded copy (it
 * computed every cached partition), so the limit leaves room for all of storageMemory
 * above Node's default; undefined keeps the default when that is already enough.
 */
function workerHeapMb(storageMemory: number): number | undefined {
  const defaultMb = Math.floor(getHeapStatistics().heap_size_limit / 2 ** 20);
  const neededMb = Math.ceil(storageMemory / 2 ** 20) + 2048;
  return neededMb > defaultMb ? neededMb : undefined;
}

/** Kiln's ordering of keys (the default of takeOrdered, top and sortByKey). */
export { compareKeys };

/**
 * Starts local-cluster[N,cores,memoryMiB]'s executors (loaded lazily: threads mode never
 * loads node:http2). Only self-contained stages run on them yet (engine/cluster/remote-tasks.ts);
 * a warning says so.
 */
async function startLocalCluster(master: Extract<Master, { kind: 'local-cluster' }>, options: KilnOptions): Promise<LocalCluster> {
  const { LocalCluster } = await import('../../cluster/launcher.js');
  const cluster = await LocalCluster.start({
    executors: master.executors,
    cores: master.cores,
    memoryMiB: master.memoryMiB,
    timing: {
      ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      ...(options.heartbeatTimeoutMs !== undefined ? { heartbeatTimeoutMs: options.heartbeatTimeoutMs } : {}),
    },
  });
  process.emitWarning(`local-cluster: stages without a shuffle, cached data or broadcasts run on the ${master.executors} executors; the others still run on the driver's worker threads (the network shuffle is not built yet; docs/cluster.md)`, { type: 'KilnWarning', code: 'KILN_CLUSTER_PARTIAL' });
  return cluster;
}
