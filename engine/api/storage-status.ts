// A persisted dataset's storage as the monitor's event (engine/monitor/events.ts
// RddStorageJson), for the UI's Storage page and /storage/rdd. Policy: Spark's field
// names and StorageLevel shape; kiln's blocks are always serialized and stored once,
// so Deserialized is false and Replication is the level's as given.
import type { RddStorageJson } from '../monitor/events.js';
import type { DatasetStorage } from '../storage/storage-manager.js';
import type { StorageLevel } from '../storage/storage-level.js';

/** The event row of dataset `id`. */
export function storageJson(id: number, name: string, partitions: number, level: StorageLevel, f: DatasetStorage): RddStorageJson {
  return {
    'RDD ID': id,
    Name: name,
    'Storage Level': { 'Use Disk': level.useDisk, 'Use Memory': level.useMemory, 'Use Off Heap': false, Deserialized: false, Replication: level.replication },
    'Number of Partitions': partitions,
    'Number of Cached Partitions': f.cachedPartitions,
    'Memory Size': f.memoryBytes,
    'Disk Size': f.diskBytes,
  };
}
