// The tokenizer kernels (kernels/tokenize.ts) for the engine. Policy: a Tokenizer owns
// reusable output regions (token pairs and, when hashing, their XXH64s) and a control
// block; it scans input already in kernel memory, drains the outputs to a callback
// whenever the kernel reports them full, and leaves a word that touches the end of a
// non-final chunk to the caller, who carries it over with carryTail (lines.ts).
// Lowercasing happens in place, once per scanned range: a resumed call drops the flag.
import type { Region } from '../memory/region.js';
import { SCAN_FLAGS } from './exports.js';
import { carryTail } from './lines.js';
import type { KernelRuntime } from './runtime.js';
import { KernelError, decodeStatus, unreachable } from './status.js';

/** Tokens per output batch when not given: 64 Ki (512 KiB of pairs, 512 KiB of hashes). */
export const DEFAULT_TOKEN_CAPACITY = 1 << 16;

/** How a Tokenizer splits and what it computes. */
export interface TokenizerOptions {
  /** `whitespace`: split on ASCII space, \t, \n, \v, \f, \r; `nonAlnum`: on every ASCII byte not in [0-9A-Za-z]. */
  split: 'whitespace' | 'nonAlnum';
  /** Lowercase ASCII letters of the input in place before splitting (bytes >= 0x80 are kept). */
  lowercase: boolean;
  /** Also compute each token's XXH64 (seed 0) into {@link Tokenizer.hashes}. */
  hash: boolean;
  /** Tokens per batch handed to the sink (default {@link DEFAULT_TOKEN_CAPACITY}). */
  capacity?: number;
}

/**
 * Receives one batch: `count` tokens as (start, end) pairs in {@link Tokenizer.pairs}
 * (at 2i, 2i + 1) relative to `offset` bytes into the scanned input, and their hashes
 * in {@link Tokenizer.hashes} when hashing. Views are valid until the callback returns.
 */
export type TokenSink = (count: number, offset: number) => void;

/** Splits byte ranges in kernel memory into words, optionally lowercased and hashed. */
export class Tokenizer {
  /** Tokens per batch. */
  readonly capacity: number;
  private readonly out: Region;
  private readonly hashOut: Region | undefined;
  private readonly ctl: Region;
  private readonly baseFlags: number;
  private readonly lowercaseFlag: number;
  private pairView: Uint32Array;
  private hashView: BigUint64Array;

  constructor(private readonly rt: KernelRuntime, readonly options: TokenizerOptions) {
    const capacity = options.capacity ?? DEFAULT_TOKEN_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`token capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.out = rt.allocator.alloc(8 * capacity, 8);
    this.hashOut = options.hash ? rt.allocator.alloc(8 * capacity, 8) : undefined;
    this.ctl = rt.allocator.alloc(8, 8);
    this.baseFlags = options.split === 'nonAlnum' ? SCAN_FLAGS.nonAlnum : 0;
    this.lowercaseFlag = options.lowercase ? SCAN_FLAGS.lowercase : 0;
    this.pairView = rt.u32(this.out.ptr, 2 * capacity);
    this.hashView = rt.u64(this.hashOut?.ptr ?? this.out.ptr, this.hashOut ? capacity : 0);
  }

  /** (start, end) pairs of the current batch, relative to the batch's offset. */
  get pairs(): Uint32Array {
    // Views over a grown memory's old SharedArrayBuffer keep their old length: re-fetch.
    if (this.pairView.buffer !== this.rt.memory.buffer) this.pairView = this.rt.u32(this.out.ptr, 2 * this.capacity);
    return this.pairView;
  }

  /** XXH64s of the current batch's tokens (empty unless the tokenizer hashes). */
  get hashes(): BigUint64Array {
    if (this.hashOut && this.hashView.buffer !== this.rt.memory.buffer) this.hashView = this.rt.u64(this.hashOut.ptr, this.capacity);
    return this.hashView;
  }

  /** Pointer of the pair region, for handing a batch straight to another kernel. */
  get pairsPtr(): number {
    return this.out.ptr;
  }

  /** Pointer of the hash region (u64 per token), or -1 when the tokenizer does not hash. */
  get hashesPtr(): number {
    return this.hashOut?.ptr ?? -1;
  }

  /**
   * Tokenizes `[ptr, ptr + len)` and hands every token to `sink` in batches. Without
   * `final`, a word touching the end is not emitted and the return value (bytes
   * consumed) stops at its start: carry `[consumed, len)` into the next chunk. If that
   * is the whole of a full buffer, the word is longer than the buffer: grow it.
   */
  scan(ptr: number, len: number, final: boolean, sink: TokenSink): number {
    const ex = this.rt.exports;
    const hashPtr = this.hashOut?.ptr;
    const finalFlag = final ? SCAN_FLAGS.final : 0;
    // The kernel lowercases the whole range before it writes any token, so only the
    // first call needs the flag; resumed calls would lowercase the same bytes again.
    let flags = this.baseFlags | finalFlag | this.lowercaseFlag;
    let done = 0;
    for (;;) {
      const rest = len - done;
      const code =
        hashPtr === undefined
          ? ex.tokenize(ptr + done, rest, flags, this.out.ptr, this.capacity, this.ctl.ptr)
          : ex.tokenizeHash(ptr + done, rest, flags, this.out.ptr, hashPtr, this.capacity, this.ctl.ptr);
      const kernel = hashPtr === undefined ? 'tokenize' : 'tokenizeHash';
      const status = decodeStatus(kernel, code, { len: rest, cap: this.capacity });
      const dv = this.rt.dv;
      const count = dv.getUint32(this.ctl.ptr, true);
      const consumed = dv.getUint32(this.ctl.ptr + 4, true);
      if (count > 0) sink(count, done);
      switch (status) {
        case 'ok':
          return done + consumed;
        case 'full':
          done += consumed;
          flags = this.baseFlags | finalFlag;
          break;
        case 'grow':
          throw new KernelError(kernel, "returned 'grow', which it never does: a kernel bug", { len: rest });
        default:
          return unreachable(status, kernel);
      }
    }
  }

  /** Lowercases ASCII letters of `[src, src + len)` into `dst` (which may equal `src`). */
  lowercase(src: number, len: number, dst = src): void {
    decodeStatus('lowercaseAscii', this.rt.exports.lowercaseAscii(src, len, dst), { len });
  }

  /** Returns the regions to the allocator; the tokenizer is unusable afterwards. */
  release(): void {
    this.rt.allocator.release(this.out);
    if (this.hashOut) this.rt.allocator.release(this.hashOut);
    this.rt.allocator.release(this.ctl);
  }
}

/** Tokens of a byte string, from {@link tokenizeBytes}. */
export interface TokenList {
  /** (start, end) of each token in the input. */
  tokens: Array<[number, number]>;
  /** XXH64 of each token (empty unless hashing). */
  hashes: bigint[];
  /** The input as the kernel left it (lowercased when asked). */
  text: Uint8Array;
}

/**
 * Convenience for tests and the driver (not hot paths): tokenizes `bytes`, fed to the
 * kernel in chunks of `chunk` bytes (default: all at once) through a buffer of that
 * size, carrying partial words over exactly as the engine does. Grows the buffer when
 * one word is longer than it.
 */
export function tokenizeBytes(rt: KernelRuntime, bytes: Uint8Array, options: TokenizerOptions, chunk = bytes.length): TokenList {
  const tokenizer = new Tokenizer(rt, options);
  let size = Math.max(1, chunk);
  let buf = rt.allocator.alloc(size);
  const result: TokenList = { tokens: [], hashes: [], text: new Uint8Array(bytes.length) };
  try {
    let fed = 0; // bytes of `bytes` copied into kernel memory so far
    let held = 0; // bytes in the buffer: carried tail + new input
    let bufStart = 0; // input offset of the buffer's first byte
    for (;;) {
      const take = Math.min(size - held, bytes.length - fed);
      rt.u8.set(bytes.subarray(fed, fed + take), buf.ptr + held);
      fed += take;
      held += take;
      const final = fed === bytes.length;
      const consumed = tokenizer.scan(buf.ptr, held, final, (count, offset) => {
        const p = tokenizer.pairs;
        const h = tokenizer.hashes;
        for (let i = 0; i < count; i++) {
          result.tokens.push([bufStart + offset + p[2 * i]!, bufStart + offset + p[2 * i + 1]!]);
          if (options.hash) result.hashes.push(h[i]!);
        }
      });
      // Bytes before `consumed` are final (lowercasing included): copy them out.
      result.text.set(rt.u8.subarray(buf.ptr, buf.ptr + consumed), bufStart);
      if (final) break;
      held = carryTail(rt, buf.ptr, held, consumed);
      bufStart += consumed;
      if (held === size) {
        // One word fills the whole buffer: grow it, keeping the carried bytes.
        size *= 2;
        buf = rt.allocator.resize(buf, size, held);
      }
    }
    return result;
  } finally {
    rt.allocator.release(buf);
    tokenizer.release();
  }
}
