// The task side of a checkpoint: a partition's records written to one file in the
// record codec (engine/common/codec/value-codec.ts), the format of a stored block, so a
// checkpointed partition is read back by the same reader as a DISK_ONLY block
// (block-io.ts readStoredBlock). Policy: the file goes to the job's temporary
// directory; the driver commits the directory atomically (engine/executor/io/commit.ts) once
// every partition is written, so a failed or cancelled checkpoint leaves nothing.
// Loaded by workers.
import { writeFileSync } from 'node:fs';
import { ByteWriter, writeValue } from '../../common/codec/index.js';
import { KilnError } from '../../common/errors.js';
import type { Emit } from '../../common/emit.js';

/** What a checkpoint task reports: the file's size and record count (the driver keeps them with the lineage). */
export interface SavedRecords {
  readonly bytes: number;
  readonly records: number;
}

/** Writes the records `run` emits to `path` in the record codec. */
export function saveRecords(path: string, run: (emit: Emit) => void): SavedRecords {
  const w = new ByteWriter(1 << 16);
  let records = 0;
  run((r) => {
    writeValue(w, r);
    records++;
  });
  const bytes = w.bytes();
  try {
    writeFileSync(path, bytes);
  } catch (cause) {
    throw new KilnError('execution', `cannot write checkpoint file ${path}: ${(cause as Error).message}; check that the checkpoint directory is writable and has space`, { file: path }, { cause });
  }
  return { bytes: bytes.length, records };
}
