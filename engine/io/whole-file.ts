// wholeTextFiles' reader: one file, whole, as a UTF-8 string (a `.gz` file
// decompressed). Policy: an unreadable file is an 'input' error naming it, as the
// split reader's are.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { KilnError } from '../errors.js';
import { inputError } from './files.js';
import { isGzipPath } from './gzip.js';

/** The content of `path` as UTF-8 text. */
export function readWholeFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw inputError(error, path);
  }
  if (!isGzipPath(path)) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (cause) {
    throw new KilnError('input', `${path} is not a valid gzip file (${(cause as Error).message}); rename it if it is not compressed, or re-create it`, { file: path }, { cause });
  }
}
