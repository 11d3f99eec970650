// A persisted dataset's storage as the monitor's event (engine/driver/monitor/events.ts
// RddStorageJson), for the UI's Storage page and /storage/rdd. Policy: Spark's field
// names and StorageLevel shape; Deserialized is the level's (whether memory also
// keeps decoded copies in worker heaps), and Replication is the level's as given
// (kiln stores one copy).
import type { RddStorageJson } from '../monitor/events.js';
import type { DatasetStorage } from '../storage/storage-manager.js';
import type { StorageLevel } from '../storage/storage-level.js';

/** The event row of dataset `id`. */
export function storageJson(id: number, name: string, partitions: number, level: StorageLevel, f: DatasetStorage): RddStorageJson {
  return {
    'RDD ID': id,
    Name: name,
    'Storage Level': { 'Use Disk': level.useDisk, 'Use Memory': level.useMemory, 'Use Off Heap': false, Deserialized: level.deserialized, Replication: level.replication },
    'Number of Partitions': partitions,
    'Number of Cached Partitions': f.cachedPartitions,
    'Memory Size': f.memoryBytes,
    'Disk Size': f.diskBytes,
  };
}
