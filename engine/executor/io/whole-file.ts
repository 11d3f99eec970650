// wholeTextFiles' reader: one file, whole, as a UTF-8 string (a `.gz`, `.zst` or
// `.bz2` file decompressed). Policy: an unreadable file is an 'input' error naming it, as the
// split reader's are.
import { readDecompressed } from './compressed.js';

/** The content of `path` as UTF-8 text. */
export function readWholeFile(path: string): string {
  return readDecompressed(path).data.toString('utf8');
}
