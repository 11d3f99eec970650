// Gzip text input and output. Policy, as Spark's (Hadoop's) codecs: a file is gzip by
// its extension (`.gz`); gzip is not splittable, so a `.gz` file is read whole by one
// task (textFile gives each its own partition); output part files are
// `part-NNNNN.gz`. Writing compresses each buffered chunk (about 1 MiB of lines) as
// its own gzip member: a file of several members is one valid gzip stream (RFC 1952
// section 2.2) that gunzip, Python's gzip and Hadoop's GzipCodec read as one, and it
// lets a synchronous task stream its output instead of holding the whole partition.
// Reading decompresses the whole file at once (zlib.gunzipSync, which reads every
// member), then hands the text out in chunks that end at line boundaries, so no JS
// string is larger than a chunk: an uncompressed file must fit in memory (Node's
// buffer limit, 4 GiB on 64-bit).
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { KilnError } from '../errors.js';
import { inputError } from './files.js';

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

/** Uncompressed text chunks handed out per call: about this many bytes, ending at a line end. */
const CHUNK_BYTES = 4 << 20;

/**
 * Decompresses the gzip file at `path` and calls `onChunk` with its bytes in pieces
 * that end just after a '\n' (the last piece may not); returns the compressed size.
 * A file that is not valid gzip is an 'input' error naming it.
 */
export function readGzipChunks(path: string, onChunk: (bytes: Buffer) => void): number {
  let compressed: Buffer;
  try {
    compressed = readFileSync(path);
  } catch (error) {
    throw inputError(error, path);
  }
  let data: Buffer;
  try {
    data = gunzipSync(compressed);
  } catch (cause) {
    throw new KilnError('input', `${path} is not a valid gzip file (${(cause as Error).message}); rename it if it is not compressed, or re-create it`, { file: path }, { cause });
  }
  for (let from = 0; from < data.length; ) {
    let end = Math.min(data.length, from + CHUNK_BYTES);
    if (end < data.length) {
      const nl = data.indexOf(10, end - 1);
      end = nl < 0 ? data.length : nl + 1;
    }
    onChunk(data.subarray(from, end));
    from = end;
  }
  return compressed.length;
}
