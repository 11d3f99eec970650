// Gzip text input and output. Policy, as Spark's (Hadoop's) codecs: a file is gzip by
// its extension (`.gz`); gzip is not splittable, so a `.gz` file is read whole by one
// task (textFile gives each its own partition); output part files are
// `part-NNNNN.gz`. Writing compresses each buffered chunk (about 1 MiB of lines) as
// its own gzip member: a file of several members is one valid gzip stream (RFC 1952
// section 2.2) that gunzip, Python's gzip and Hadoop's GzipCodec read as one, and it
// lets a synchronous task stream its output instead of holding the whole partition.
// Reading (with .zst and .bz2) is engine/executor/io/compressed.ts: zlib.gunzipSync reads every
// member of the whole file at once.
import { gzipSync } from 'node:zlib';
import { KilnError } from '../../common/errors.js';

/** Extension of gzip files (Hadoop's GzipCodec.getDefaultExtension). */
export const GZIP_EXTENSION = '.gz';

/** Whether `path` names a gzip file (by extension, case-insensitive, as Hadoop's codec factory). */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith(GZIP_EXTENSION);
}

/** Output compression of saveAsTextFile. */
export type TextCompression = 'gzip';

/** Checks a saveAsTextFile compression option. */
export function checkCompression(c: unknown): TextCompression | undefined {
  if (c === undefined || c === 'gzip') return c;
  throw new KilnError('usage', `saveAsTextFile compression must be 'gzip' (or left out for plain text), got ${JSON.stringify(c)}`);
}

/** One gzip member holding `bytes`. */
export function gzipMember(bytes: Uint8Array): Buffer {
  return gzipSync(bytes, { level: 6 });
}
