// The monitor's events, in Spark's event-log format (JsonProtocol.scala). Policy: an
// event is a plain JSON object whose "Event" is Spark's listener class name and whose
// fields carry Spark's names where the concept is the same, so tools that read Spark
// event logs read kiln's; kiln's own facts (WASM kernels per operator, worker thread,
// broadcast sizes, kernel-path hints) are extra optional fields whose names start with
// "Kiln", which Spark's readers ignore. Fields are only ever added, never removed.

/** Any event of the log: Spark's listener class name in "Event", then its fields. */
export interface SparkEvent {
  readonly Event: string;
  readonly [field: string]: unknown;
}

/** Spark's TaskInfo ("Task Info"). Times are epoch milliseconds. */
export interface TaskInfoJson {
  'Task ID': number;
  Index: number;
  Attempt: number;
  'Partition ID': number;
  'Launch Time': number;
  'Executor ID': string;
  Host: string;
  Locality: 'PROCESS_LOCAL';
  Speculative: false;
  'Getting Result Time': number;
  'Finish Time': number;
  Failed: boolean;
  Killed: boolean;
  Accumulables: [];
}

/** Spark's TaskMetrics ("Task Metrics"), with kiln's fields. */
export interface TaskMetricsJson {
  'Executor Deserialize Time': number;
  'Executor Deserialize CPU Time': number;
  'Executor Run Time': number;
  'Executor CPU Time': number;
  'Peak Execution Memory': number;
  'Result Size': number;
  'JVM GC Time': number;
  'Result Serialization Time': number;
  'Memory Bytes Spilled': number;
  'Disk Bytes Spilled': number;
  'Shuffle Read Metrics': {
    'Remote Blocks Fetched': number;
    'Local Blocks Fetched': number;
    'Fetch Wait Time': number;
    'Remote Bytes Read': number;
    'Remote Bytes Read To Disk': number;
    'Local Bytes Read': number;
    'Total Records Read': number;
  };
  'Shuffle Write Metrics': { 'Shuffle Bytes Written': number; 'Shuffle Write Time': number; 'Shuffle Records Written': number };
  'Input Metrics': { 'Bytes Read': number; 'Records Read': number };
  'Output Metrics': { 'Bytes Written': number; 'Records Written': number };
  'Updated Blocks': [];
  /** kiln: records the task's sink produced (a result task's output rows). */
  'Kiln Result Records'?: number;
}

/** One dataset of a stage (Spark's RDDInfo, "RDD Info"), with the kernels it runs. */
export interface RddInfoJson {
  'RDD ID': number;
  Name: string;
  'Parent IDs': number[];
  'Number of Partitions': number;
  'Number of Cached Partitions': 0;
  'Memory Size': 0;
  'Disk Size': 0;
  Callsite: string;
  /** kiln: the WASM kernels this operator runs (empty: it runs as JS). */
  'Kiln Kernels'?: string[];
}

/** Spark's StageInfo ("Stage Info"). */
export interface StageInfoJson {
  'Stage ID': number;
  'Stage Attempt ID': number;
  'Stage Name': string;
  'Number of Tasks': number;
  'RDD Info': RddInfoJson[];
  'Parent IDs': number[];
  Details: string;
  'Submission Time'?: number;
  'Completion Time'?: number;
  'Failure Reason'?: string;
  Accumulables: [];
  /** kiln: ShuffleMapStage or ResultStage. */
  'Kiln Stage Kind'?: 'ShuffleMapStage' | 'ResultStage';
  /** kiln: every operator of the stage, the shuffle write included, with its kernels. */
  'Kiln Operators'?: { Label: string; Kernels: string[] }[];
  /** kiln: places where the stage runs JS although a kernel does the same (see diagnosis.ts). */
  'Kiln Kernel Hints'?: { Problem: string; Advice: string }[];
}

/** Spark's StorageLevel in JsonProtocol's shape. */
export interface StorageLevelJson {
  'Use Disk': boolean;
  'Use Memory': boolean;
  'Use Off Heap': false;
  /** Whether memory also keeps decoded copies (the deserialized levels, e.g. MEMORY_ONLY). */
  Deserialized: boolean;
  Replication: number;
}

/**
 * One persisted dataset's storage now (the fields of Spark's RDDInfo that its Storage
 * page reads), carried by kiln's "KilnStorageStatus" event, which lists every
 * persisted dataset after each job and each unpersist (Spark derives the same from
 * SparkListenerBlockUpdated, which its event logs leave out by default).
 */
export interface RddStorageJson {
  'RDD ID': number;
  Name: string;
  'Storage Level': StorageLevelJson;
  'Number of Partitions': number;
  'Number of Cached Partitions': number;
  'Memory Size': number;
  'Disk Size': number;
}

/** The kiln version the events are written by, in SparkListenerLogStart's "Spark Version". */
export const LOG_FORMAT_VERSION = 'kiln-1';
