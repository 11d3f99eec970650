// Compressed text input: gzip (`.gz`), Zstandard (`.zst`) and bzip2 (`.bz2`), chosen by
// the file's extension (case-insensitive), as Hadoop's CompressionCodecFactory does.
// Policy: none of them is split — each compressed file is read whole by one task
// (textFile gives each its own partition, engine/driver/api/text-partitions.ts). Hadoop does
// split bzip2 at its block markers; kiln does not yet, so a large `.bz2` runs on one
// worker. The whole file is decompressed at once and handed out in chunks that end at
// line boundaries, as engine/executor/io/gzip.ts does, so the uncompressed text must fit in
// memory (Node's buffer limit, 4 GiB on 64-bit). Node 20's zlib has no zstd and no
// bzip2: the decoders are fzstd and seek-bzip, both pure JavaScript (no native build),
// synchronous as the task's reader is. A file that does not decode is an 'input' error
// naming it and its format.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import Bunzip from 'seek-bzip';
import { KilnError } from '../../common/errors.js';
import { inputError } from '../../common/io/files.js';
import { GZIP_EXTENSION } from './gzip.js';

/** An input compression format kiln reads. */
export interface InputCodec {
  /** The format's name in messages. */
  readonly name: string;
  /** The file extension that selects it, lowercase, with its dot. */
  readonly extension: string;
  /** Decompresses a whole file's bytes (every member/frame/stream in it). */
  decode(compressed: Buffer): Buffer;
}

/** The formats read, by extension. */
export const INPUT_CODECS: readonly InputCodec[] = [
  { name: 'gzip', extension: GZIP_EXTENSION, decode: (b) => gunzipSync(b) },
  { name: 'zstd', extension: '.zst', decode: (b) => { const out = zstdDecompress(b); return Buffer.from(out.buffer, out.byteOffset, out.byteLength); } },
  { name: 'bzip2', extension: '.bz2', decode: (b) => Bunzip.decode(b, undefined, true) },
];

/** The codec that `path`'s extension selects, or undefined for a plain file. */
export function inputCodecOf(path: string): InputCodec | undefined {
  const lower = path.toLowerCase();
  return INPUT_CODECS.find((c) => lower.endsWith(c.extension));
}

/** Whether `path` names a compressed file (`.gz`, `.zst`, `.bz2`), which one task reads whole. */
export function isCompressedPath(path: string): boolean {
  return inputCodecOf(path) !== undefined;
}

/** The whole uncompressed content of `path`, decoded by its extension's codec (plain files as they are). */
export function readDecompressed(path: string): { data: Buffer; compressedBytes: number } {
  let compressed: Buffer;
  try {
    compressed = readFileSync(path);
  } catch (error) {
    throw inputError(error, path);
  }
  const codec = inputCodecOf(path);
  if (!codec) return { data: compressed, compressedBytes: compressed.length };
  try {
    return { data: codec.decode(compressed), compressedBytes: compressed.length };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new KilnError('input', `${path} is not a valid ${codec.name} file (${why}); rename it if it is not compressed, or re-create it`, { file: path }, { cause });
  }
}

/** Uncompressed text chunks handed out per call: about this many bytes, ending at a line end. */
const CHUNK_BYTES = 4 << 20;

/**
 * Decompresses the file at `path` and calls `onChunk` with its bytes in pieces that
 * end just after a '\n' (the last piece may not); returns the compressed size.
 */
export function readCompressedChunks(path: string, onChunk: (bytes: Buffer) => void): number {
  const { data, compressedBytes } = readDecompressed(path);
  for (let from = 0; from < data.length; ) {
    let end = Math.min(data.length, from + CHUNK_BYTES);
    if (end < data.length) {
      const nl = data.indexOf(10, end - 1);
      end = nl < 0 ? data.length : nl + 1;
    }
    onChunk(data.subarray(from, end));
    from = end;
  }
  return compressedBytes;
}
