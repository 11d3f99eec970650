// Storage levels (Spark's StorageLevel). Policy: a level says where a persisted
// partition may live — memory, disk (the spill directory), or both with memory
// first — whether memory also keeps it deserialized, and how many replicas it asks
// for. Tiers, as Spark's MEMORY_ONLY keeps objects and MEMORY_ONLY_SER keeps bytes:
// - encoded: the block's records in the record codec, in the shared memory's pool
//   (any worker thread reads it in place) or in a file. Every stored block has it.
// - decoded: the records themselves, kept in the heap of the worker thread that
//   computed them (engine/executor/storage/decoded-store.ts); tasks over that partition
//   prefer that thread. Only the deserialized levels (MEMORY_ONLY, MEMORY_AND_DISK
//   and their _2) keep it; the _SER levels and DISK_ONLY do not.
// kiln runs one executor, so a replication of 2 is accepted and recorded (the level
// reads back as given) but stores one copy, as Spark's local mode does.
import { KilnError } from '../../common/errors.js';

/** Where a persisted dataset's partitions may be stored. */
export interface StorageLevel {
  /** The level's name, e.g. "MEMORY_AND_DISK". */
  readonly name: string;
  readonly useMemory: boolean;
  readonly useDisk: boolean;
  /** Memory also keeps the records decoded, in the computing worker's heap (Spark's deserialized). */
  readonly deserialized: boolean;
  /** Copies asked for; kiln has one executor and stores one (see the header). */
  readonly replication: number;
}

function level(name: string, useMemory: boolean, useDisk: boolean, deserialized: boolean, replication = 1): StorageLevel {
  return Object.freeze({ name, useMemory, useDisk, deserialized, replication });
}

/** The levels kiln accepts (Spark's names and flags; see the header for the tiers each uses). */
export const StorageLevel = Object.freeze({
  NONE: level('NONE', false, false, false),
  MEMORY_ONLY: level('MEMORY_ONLY', true, false, true),
  MEMORY_ONLY_2: level('MEMORY_ONLY_2', true, false, true, 2),
  MEMORY_ONLY_SER: level('MEMORY_ONLY_SER', true, false, false),
  MEMORY_ONLY_SER_2: level('MEMORY_ONLY_SER_2', true, false, false, 2),
  MEMORY_AND_DISK: level('MEMORY_AND_DISK', true, true, true),
  MEMORY_AND_DISK_2: level('MEMORY_AND_DISK_2', true, true, true, 2),
  MEMORY_AND_DISK_SER: level('MEMORY_AND_DISK_SER', true, true, false),
  MEMORY_AND_DISK_SER_2: level('MEMORY_AND_DISK_SER_2', true, true, false, 2),
  DISK_ONLY: level('DISK_ONLY', false, true, false),
  DISK_ONLY_2: level('DISK_ONLY_2', false, true, false, 2),
});

/** Names of the accepted levels. */
export type StorageLevelName = keyof typeof StorageLevel;

/** The level for a name or a level object; a usage error names the accepted ones. */
export function resolveStorageLevel(given: unknown): StorageLevel {
  const names = Object.keys(StorageLevel) as StorageLevelName[];
  if (typeof given === 'string' && (names as string[]).includes(given)) return StorageLevel[given as StorageLevelName];
  if (typeof given === 'object' && given !== null) {
    const found = names.find((n) => StorageLevel[n] === given || StorageLevel[n].name === (given as StorageLevel).name);
    if (found) return StorageLevel[found];
  }
  const shown = typeof given === 'string' ? `"${given}"` : typeof given === 'object' && given !== null ? JSON.stringify(given) : String(given);
  throw new KilnError('usage', `unknown storage level ${shown}: use one of ${names.filter((n) => n !== 'NONE').join(', ')} (StorageLevel.X or its name)`);
}
