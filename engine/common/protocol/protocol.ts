// The worker protocol, in one typed file (STYLE.md 9). Everything here crosses
// postMessage by structured clone, so it is plain data: no classes, no functions
// (user functions travel as ShippedFunction source). The driver builds one TaskSpec
// per partition of a stage; a worker rebuilds the pipeline from `node` and feeds it
// to `sink`.
import type { MessagePort } from 'node:worker_threads';
import type { PlainError } from '../errors.js';
import type { FileSplit, IoBackend } from '../io/splits.js';
import type { ShippedFunction } from '../functions/index.js';
import type { AccumulatorUpdate } from '../functions/accumulator.js';
import type { KeyFormat, PartitionerSpec } from './partitioner.js';
import type { TextEncoding } from '../io/text-encoding.js';

/** Aggregators: a kernel-run built-in, or three shipped JS functions (Spark's Aggregator). */
export type AggregatorSpec =
  | { readonly kind: 'builtin'; readonly op: BuiltinAgg; readonly keyFormat: KeyFormat }
  | {
      readonly kind: 'js';
      /** How a key's first value becomes a combiner: as is, by a function, or merged into a copy of a zero value. */
      readonly create: { readonly t: 'identity' } | { readonly t: 'fn'; readonly fn: ShippedFunction } | { readonly t: 'zero'; readonly zero: unknown };
      readonly mergeValue: ShippedFunction;
      readonly mergeCombiners: ShippedFunction;
    }
  /** Keep one record per key (distinct). */
  | { readonly kind: 'first' }
  /** sortLines: whole text lines sorted as bytes (engine/executor/shuffle/line-sort-*.ts). */
  | LinesAggregator;

/**
 * How sortLines orders and merges lines (`LC_ALL=C sort` semantics). It rides on the
 * shuffle dependency as its aggregator, so both the map and the reduce side see it.
 */
export interface LinesAggregator {
  readonly kind: 'lines';
  /** Descending order (sort -r); partitions are numbered in output order. */
  readonly reverse: boolean;
  /** Drop a line equal (by key) to the previous output line (sort -u). */
  readonly unique: boolean;
  /** With unique: prefix each output line with its count as `uniq -c` does. */
  readonly count: boolean;
  /** Order by the first N bytes of each line only, stable; undefined: the whole line. */
  readonly keyBytes?: number;
  /**
   * Key ranges per reduce partition: the range partitioner's bounds cut the keys into
   * partitions x rangesPerPartition ranges of a few MiB, which map tasks group lines
   * by and reduce tasks sort one at a time, in cache (engine/executor/shuffle/line-sorter.ts).
   */
  readonly rangesPerPartition: number;
  /** How collected lines are decoded (the text source's encoding). */
  readonly encoding: TextEncoding;
}

/** Aggregations the combiner kernel runs. */
export type BuiltinAgg = 'count' | 'sum' | 'min' | 'max';

/** How one partition of a dataset is computed: a tree ending in sources. */
export type NodeSpec =
  | { readonly t: 'text'; readonly splits: readonly FileSplit[]; readonly encoding: TextEncoding }
  | {
      readonly t: 'words';
      readonly splits: readonly FileSplit[];
      readonly lowercase: boolean;
      readonly nonAlnum: boolean;
      readonly encoding: TextEncoding;
    }
  /** Candidate lines of a search (engine/executor/runtime/grep-source.ts); with `count` (literals only), their number. */
  | { readonly t: 'grep'; readonly splits: readonly FileSplit[]; readonly find: LineSearch; readonly count: boolean; readonly encoding: TextEncoding }
  | { readonly t: 'slice'; readonly data: readonly unknown[] }
  | { readonly t: 'empty' }
  /**
   * A persisted partition read from its stored block (engine/executor/storage/block-io.ts): the
   * decoded copy when this thread holds `decoded`, else the encoded block, in place.
   */
  | { readonly t: 'cached'; readonly datasetId: number; readonly partition: number; readonly location: BlockLocation; readonly records: number; readonly decoded?: DecodedRef }
  /**
   * A persisted partition not stored yet: computed from `parent`, its records stored as
   * a block as they pass; with `decoded`, the computing thread also keeps them decoded.
   */
  | { readonly t: 'persist'; readonly datasetId: number; readonly partition: number; readonly memory: boolean; readonly disk: boolean; readonly decoded: boolean; readonly parent: NodeSpec }
  | { readonly t: 'shuffle'; readonly read: ShuffleReadSpec }
  | { readonly t: 'concat'; readonly parts: readonly NodeSpec[] }
  /** Pairs [a, b] of two computed partitions of equal length (zip). */
  | { readonly t: 'zip'; readonly parts: readonly [NodeSpec, NodeSpec] }
  | { readonly t: 'op'; readonly op: OpSpec; readonly parent: NodeSpec }
  /** Joins and cogroups (engine/executor/join/compute.ts). */
  | { readonly t: 'join'; readonly join: JoinTaskSpec }
  | { readonly t: 'cogroup'; readonly parts: readonly NodeSpec[]; readonly operator: string }
  /** Every pair of left x right records, kept when `predicate(x, y)` (if given). */
  | { readonly t: 'cartesian'; readonly left: NodeSpec; readonly right: NodeSpec; readonly predicate?: ShippedFunction }
  /** joinWhere by broadcast nested loop: `build` is a whole side, the other one partition. */
  | {
      readonly t: 'nestedLoop';
      /** The unmatched types emit only stream rows that match nothing (the rest of a full join). */
      readonly type: 'inner' | 'left' | 'right' | 'leftUnmatched' | 'rightUnmatched';
      readonly build: 'left' | 'right';
      readonly left: NodeSpec;
      readonly right: NodeSpec;
      readonly predicate: ShippedFunction;
    };

/**
 * One partition of an equi-join: two sides ([key, value] records, or a keyed shuffle
 * read whose key bytes are used as they lie), joined by a hash table on `build` or by
 * sorting both sides on key bytes and merging.
 */
export interface JoinTaskSpec {
  readonly type: 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
  readonly algorithm: 'hash' | 'merge';
  readonly build: 'left' | 'right';
  readonly left: NodeSpec;
  readonly right: NodeSpec;
  readonly operator: string;
}

/**
 * What a grep source looks for (engine/executor/runtime/grep-source.ts). `literal`: a string every
 * match holds, found by the grep kernel (ASCII case folded with ignoreCase); without
 * it the `match` RegExp runs over whole decoded chunks first. `match` (a RegExp's
 * source and flags, without g, m or y) is the full match, run on candidate lines; with
 * no `match` and `count`, the kernel's count of lines holding the literal is the answer.
 * `keepNul`: lines holding a NUL byte are emitted whether they match or not.
 */
export interface LineSearch {
  readonly literal?: { readonly text: string; readonly ignoreCase: boolean };
  /** Without a literal: ASCII bytes [lo, hi] of which every match holds one (grepRange). */
  readonly range?: { readonly lo: number; readonly hi: number };
  readonly match?: { readonly source: string; readonly flags: string };
  readonly keepNul: boolean;
}

/** A narrow, element-wise or per-partition operator. */
export type OpSpec =
  | { readonly kind: 'map' | 'keyBy' | 'flatMap' | 'filter' | 'mapValues' | 'flatMapValues' | 'mapPartitions'; readonly fn: ShippedFunction }
  | { readonly kind: 'mapPartitionsWithIndex'; readonly fn: ShippedFunction; readonly index: number }
  /** map with the record's (partition, position in partition): streamed, unlike mapPartitionsWithIndex. */
  | { readonly kind: 'mapWithIndex'; readonly fn: ShippedFunction; readonly index: number }
  | { readonly kind: 'keys' | 'values' }
  /** Sorts the partition's [key, value] pairs by kiln's order of keyfunc(key), stably (repartitionAndSortWithinPartitions). */
  | { readonly kind: 'sortPartition'; readonly keyfunc: ShippedFunction; readonly ascending: boolean }
  /** Each record is a file path; emits [path, whole file as UTF-8] (wholeTextFiles). */
  | { readonly kind: 'readWholeFile' }
  /** Runs a command per partition, records as lines on its stdin, its stdout lines out (engine/executor/runtime/pipe.ts). */
  | { readonly kind: 'pipe'; readonly command: readonly string[]; readonly env?: Readonly<Record<string, string>> }
  | { readonly kind: 'sample'; readonly withReplacement: boolean; readonly fraction: number; readonly seed: number };

/** Where a block of map output lives. */
export type BlockLocation =
  | { readonly kind: 'memory'; readonly ptr: number; readonly len: number }
  | { readonly kind: 'file'; readonly path: string; readonly len: number };

/** One block of a map task's output: records grouped by reduce partition. */
export interface BlockSpec {
  readonly location: BlockLocation;
  /** Byte offsets of each reduce partition's segment: length partitions + 1 (the index). */
  readonly offsets: readonly number[];
}

/** Block formats: the combiner table's emit layout, or value-codec records. */
export type BlockFormat = 'table' | 'records' | 'keyed' | 'lines';

/** What a reduce task reads: its segment of every block of every map output. */
export interface ShuffleReadSpec {
  readonly shuffleId: number;
  readonly partition: number;
  readonly format: BlockFormat;
  readonly blocks: readonly BlockSpec[];
  readonly aggregator?: AggregatorSpec;
  /** Whether map tasks combined (their values are combiners, not values). */
  readonly combined: boolean;
  /** Format 'keyed' only: sort the partition by key bytes. */
  readonly ascending?: boolean;
}

/** What a stage's task does with its records. */
export type SinkSpec =
  | {
      readonly t: 'shuffleWrite';
      readonly shuffleId: number;
      readonly mapId: number;
      readonly partitioner: PartitionerSpec;
      readonly aggregator?: AggregatorSpec;
      readonly mapSideCombine: boolean;
      /** Records are [key, value] pairs (false: whole records, e.g. repartition). */
      readonly keyed: boolean;
      /** Write key bytes for a reduce-side sort (format 'keyed') under a non-range partitioner. */
      readonly sortedKeys?: boolean;
      /** The operator the shuffle serves, named in errors about its records (default partitionBy). */
      readonly operator?: string;
    }
  | { readonly t: 'collect'; readonly limit?: number }
  | { readonly t: 'count' }
  | { readonly t: 'fold'; readonly fn: ShippedFunction; readonly zero?: { readonly value: unknown } }
  | { readonly t: 'foreach'; readonly fn: ShippedFunction; readonly perPartition: boolean }
  /** The n first records by `compare`, or by kiln's key order of `key(record)`, or of the records. */
  | { readonly t: 'takeOrdered'; readonly n: number; readonly compare?: ShippedFunction; readonly key?: ShippedFunction; readonly descending: boolean }
  | { readonly t: 'sampleKeys'; readonly size: number; readonly seed: number }
  /** stats(): the partition's Welford state, folded by `update` or the stats kernel (engine/executor/runtime/stats-sink.ts). */
  | { readonly t: 'stats'; readonly update: ShippedFunction }
  /** countApproxDistinct: the partition's 2^precision HyperLogLog registers (engine/executor/runtime/hll-sink.ts). */
  | { readonly t: 'hll'; readonly precision: number }
  /** Writes the partition as text lines to <dir>/part-NNNNN (part-NNNNN.gz, gzip members, with compression). */
  | { readonly t: 'saveText'; readonly dir: string; readonly compression?: 'gzip' }
  /** A checkpoint: the partition's records in the record codec to <dir>/part-NNNNN (engine/executor/storage/checkpoint-sink.ts). */
  | { readonly t: 'saveRecords'; readonly dir: string }
  /** sortLines output: a partition's sorted bytes, to an ordered fd or a part file. */
  | { readonly t: 'writeLines'; readonly target: LinesTarget };

/**
 * Where sortLines reduce tasks put their bytes. 'fd': appended to an open file
 * descriptor in partition order; the tasks take turns through `turn` (Int32 words:
 * [0] = next partition to write, [1 + p] = partition p's state, see
 * engine/executor/shuffle/ordered-output.ts), and a task that waits too long parks its bytes
 * in `parkDir`; `label` names the fd in errors. 'dir': each task writes <dir>/part-NNNNN itself. 'count': no output.
 */
export type LinesTarget =
  | { readonly kind: 'fd'; readonly fd: number; readonly turn: SharedArrayBuffer; readonly parkDir: string; readonly label: string }
  | { readonly kind: 'dir'; readonly dir: string }
  /** Sort and count only (count()). */
  | { readonly kind: 'count' };

/** Where a broadcast value's v8-serialized bytes lie in the shared memory. */
export interface BroadcastRef {
  readonly id: number;
  readonly ptr: number;
  readonly len: number;
}

/** One task: a stage over one partition. */
export interface TaskSpec {
  readonly jobId: number;
  readonly stageId: number;
  readonly partition: number;
  readonly attempt: number;
  readonly node: NodeSpec;
  readonly sink: SinkSpec;
  readonly io: IoBackend;
  /** Longest input line accepted, in bytes (default 2 GiB; engine/executor/io/split-reader.ts). */
  readonly maxRecordBytes?: number;
  /** Directory for spilled shuffle blocks. */
  readonly spillDir: string;
  /** Bytes a sorting task may hold in memory before it spills sorted runs (engine/executor/sort/memory-plan.ts). */
  readonly sortMemory?: number;
  /** Live broadcast variables: serialized once into shared memory; workers deserialize on first use. */
  readonly broadcasts: readonly BroadcastRef[];
  /** Shared Int32Array slot index the driver sets to 1 to cancel the job cooperatively. */
  readonly cancelSlot: number;
  /** Port for requests to the driver (shuffle regions), transferred with the task; absent when run inline. */
  readonly port?: MessagePort;
}

/** Per-task metrics (Spark's TaskMetrics, the part kiln records). */
export interface TaskMetrics {
  inputBytes: number;
  inputRecords: number;
  shuffleWriteBytes: number;
  shuffleWriteRecords: number;
  shuffleReadBytes: number;
  shuffleReadRecords: number;
  spillBytes: number;
  resultRecords: number;
  runMs: number;
  /** The thread that ran the task (worker_threads threadId; 0: inline, the driver's thread). For the monitor's executors. */
  threadId?: number;
  /** Peak bytes of the thread's kernel-memory span in use during the task (Spark's peak execution memory). */
  peakMemoryBytes?: number;
  /** Passes a reduce-side aggregation took when its keys did not fit at once (engine/executor/shuffle/table-merge.ts); absent: one. */
  aggregationPasses?: number;
  /** Runs a JS combiner (reduceByKey(fn), aggregateByKey, combineByKey, groupByKey, a sort-merge join side) spilled to disk when its heap reservation was refused (engine/shuffle/external-map.ts); absent: none. */
  aggregationSpills?: number;
  /** Map-side JS combines that stopped combining and passed records through (Spark's partial-aggregation rule); absent: none. */
  combineBypasses?: number;
}

/**
 * A decoded copy of a persisted partition in one worker's heap: its slot in the
 * decoded-slot words (WorkerInit.decodedSlots) and the generation it was granted
 * with. The copy is valid while the slot's word holds that generation; the driver
 * clears the word to drop it, and the worker deletes it at its next task.
 */
export interface DecodedRef {
  readonly slot: number;
  readonly gen: number;
}

/** A persisted partition's block, written by the task that computed it (record codec). */
export interface StoredBlock {
  readonly datasetId: number;
  readonly partition: number;
  readonly location: BlockLocation;
  readonly records: number;
  /** The decoded copy this attempt kept in its thread (its heap bytes were reserved under `decoded.slot`). */
  readonly decoded?: DecodedRef;
}

/** Which tier of a stored block a task read (hits per tier, in the storage metrics). */
export interface BlockRead {
  readonly datasetId: number;
  readonly tier: 'decoded' | 'encoded';
}

/** What a task sends back. */
export type TaskResult =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly blocks?: readonly BlockSpec[];
      readonly metrics: TaskMetrics;
      /** Blocks of persisted partitions this attempt computed (the driver's storage manager takes them). */
      readonly stored?: readonly StoredBlock[];
      /** Stored blocks this attempt read, with the tier each came from. */
      readonly reads?: readonly BlockRead[];
      /** The attempt's accumulator updates (merged by the driver only for the attempt it keeps). */
      readonly accumulators?: readonly AccumulatorUpdate[];
    }
  | { readonly ok: false; readonly error: PlainError; readonly metrics: TaskMetrics };

/** What every worker gets at start (piscina workerData). */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Control words shared with the driver: CANCEL_SLOTS cancel flags, then READY_WORD. */
  readonly control: SharedArrayBuffer;
  /** Int32 words, one per decoded-copy slot: the live generation, 0 when free (see DecodedRef). */
  readonly decodedSlots: SharedArrayBuffer;
}

/** Cancel flags in the control words, one per running task set (reused round robin). */
export const CANCEL_SLOTS = 1024;

/** Control word counting worker threads that have loaded the task module. */
export const READY_WORD = CANCEL_SLOTS;

/**
 * The `code` of the error a worker reports when it cannot import the task module
 * (worker-entry.cts, which repeats the literal). The driver fails the context's jobs
 * with it and says to rebuild.
 */
export const TASK_MODULE_ERROR = 'KILN_TASK_MODULE';

/** Requests from a running task to the driver, over the task's port (answered synchronously, see below). */
export type PortRequest =
  | { readonly op: 'span'; readonly threadId: number }
  | { readonly op: 'alloc'; readonly bytes: number }
  /**
   * A pool region for the encoded block of a persisted partition: granted only if
   * storageMemory has room for it (after evicting LRU blocks), so a block that will
   * not be kept never touches the pool; refused, a level with disk writes a file.
   */
  | { readonly op: 'block'; readonly datasetId: number; readonly partition: number; readonly bytes: number }
  /**
   * `bytes` more of worker heap for a decoded copy of a persisted partition, charged
   * to storageMemory (negative: gives back what the estimate no longer needs, always
   * granted). `slot` -1 asks for a slot too: the reply's ptr is the slot and its size
   * the generation. A refusal frees the slot and all it had reserved.
   */
  | { readonly op: 'decoded'; readonly datasetId: number; readonly partition: number; readonly slot: number; readonly bytes: number };

/**
 * Why the driver refused a request. 'full': no room (a shuffle region: the caller
 * spills). 'stuck': no worker span came free within the wait, because threads killed
 * earlier have not exited yet and still own theirs (see worker-spans.ts).
 */
export type Refusal = 'full' | 'stuck';

/**
 * Answer to a PortRequest: a region, or a refusal. The driver may answer a 'span'
 * request later (when a killed thread's span comes free); the requester blocks until it does.
 */
export type PortReply = { readonly ok: true; readonly ptr: number; readonly size: number } | { readonly ok: false; readonly refusal: Refusal };

/**
 * Reply buffer layout: Int32 words [state, ptr, size]. The requester blocks on
 * `state` with Atomics.wait; the driver writes ptr and size, then stores state last
 * and notifies, so a woken requester sees the whole reply.
 */
export const REPLY_STATE = 0;
/** Size of a reply buffer in bytes. */
export const REPLY_BYTES = 12;
/** State while the driver has not answered. */
export const REPLY_PENDING = 0;
const REPLY_OK = 1;
const REPLY_FULL = 2;
const REPLY_STUCK = 3;

/** Writes a reply into the requester's buffer and wakes it (driver side). */
export function sendReply(buffer: SharedArrayBuffer, reply: PortReply): void {
  const words = new Int32Array(buffer);
  if (reply.ok) {
    // Pointers and sizes are below 4 GiB: stored as u32 bit patterns.
    words[1] = reply.ptr | 0;
    words[2] = reply.size | 0;
  }
  Atomics.store(words, REPLY_STATE, reply.ok ? REPLY_OK : reply.refusal === 'stuck' ? REPLY_STUCK : REPLY_FULL);
  Atomics.notify(words, REPLY_STATE);
}

/** Reads a reply the driver sent (worker side). */
export function decodeReply(words: Int32Array): PortReply {
  const state = Atomics.load(words, REPLY_STATE);
  if (state !== REPLY_OK) return { ok: false, refusal: state === REPLY_STUCK ? 'stuck' : 'full' };
  return { ok: true, ptr: words[1]! >>> 0, size: words[2]! >>> 0 };
}

/** Zeroed metrics. */
export function emptyMetrics(): TaskMetrics {
  return { inputBytes: 0, inputRecords: 0, shuffleWriteBytes: 0, shuffleWriteRecords: 0, shuffleReadBytes: 0, shuffleReadRecords: 0, spillBytes: 0, resultRecords: 0, runMs: 0 };
}
