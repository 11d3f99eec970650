// Storage levels (Spark's StorageLevel). Policy: a level says where a persisted
// partition may live — memory (the shared memory's storage pool), disk (the spill
// directory), or both with memory first — and how many replicas it asks for. kiln
// runs one executor, so a replication of 2 is accepted and recorded (the level
// reads back as given) but stores one copy, as Spark's local mode does. Cached
// blocks are always stored serialized, with the record codec (Spark's *_SER levels),
// so any worker thread reads them in place.
import { KilnError } from '../errors.js';

/** Where a persisted dataset's partitions may be stored. */
export interface StorageLevel {
  /** The level's name, e.g. "MEMORY_AND_DISK". */
  readonly name: string;
  readonly useMemory: boolean;
  readonly useDisk: boolean;
  /** Copies asked for; kiln has one executor and stores one (see the header). */
  readonly replication: number;
}

function level(name: string, useMemory: boolean, useDisk: boolean, replication = 1): StorageLevel {
  return Object.freeze({ name, useMemory, useDisk, replication });
}

/** The levels kiln accepts (Spark's names; the _SER variants are the same here, since blocks are always serialized). */
export const StorageLevel = Object.freeze({
  NONE: level('NONE', false, false),
  MEMORY_ONLY: level('MEMORY_ONLY', true, false),
  MEMORY_ONLY_2: level('MEMORY_ONLY_2', true, false, 2),
  MEMORY_ONLY_SER: level('MEMORY_ONLY_SER', true, false),
  MEMORY_ONLY_SER_2: level('MEMORY_ONLY_SER_2', true, false, 2),
  MEMORY_AND_DISK: level('MEMORY_AND_DISK', true, true),
  MEMORY_AND_DISK_2: level('MEMORY_AND_DISK_2', true, true, 2),
  MEMORY_AND_DISK_SER: level('MEMORY_AND_DISK_SER', true, true),
  MEMORY_AND_DISK_SER_2: level('MEMORY_AND_DISK_SER_2', true, true, 2),
  DISK_ONLY: level('DISK_ONLY', false, true),
  DISK_ONLY_2: level('DISK_ONLY_2', false, true, 2),
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
