// countApproxDistinct's result task: a partition's HyperLogLog registers, updated by
// the hllAdd kernels (kernels/hll.ts). Policy: no JS value per record where the
// kernels can avoid it. Over a `words()` source the tokenizer's (start, end) pairs go
// straight to hllAddPairs, so no JS string is made per word; any other records are
// encoded in batches of 8192 (strings as raw UTF-8, anything else as its canonical
// key bytes, each kind with its own hash seed, so "1" and 1 stay distinct and a word
// hashes the same on both paths), copied once per batch and hashed in one call.
import { ByteWriter, writeKey } from '../../common/codec/index.js';
import { HLL_KEY_SEED, HLL_STRING_SEED, hllAddBatch, hllAddPairs } from '../kernels/hll.js';
import type { KernelRuntime } from '../kernels/runtime.js';
import type { Region } from '../memory/region.js';
import { compute, StopTask } from './compute.js';
import type { NodeSpec } from '../../common/protocol/protocol.js';
import type { TaskContext } from './task-context.js';

/** Keys per kernel call. */
const BATCH = 8192;

/** Runs the sketch over the partition; returns its 2^p registers. */
export function hllSink(node: NodeSpec, p: number, ctx: TaskContext): Uint8Array {
  const rt = ctx.rt;
  const m = 1 << p;
  const regs = rt.allocator.alloc(m);
  rt.u8.fill(0, regs.ptr, regs.ptr + m);
  const strings = new KeyBatch(rt, regs.ptr, p, HLL_STRING_SEED);
  const others = new KeyBatch(rt, regs.ptr, p, HLL_KEY_SEED);
  try {
    if (node.t === 'words') addWords(node, regs.ptr, p, ctx);
    else {
      try {
        compute(node, ctx, (x) => {
          ctx.metrics.resultRecords++;
          if (typeof x === 'string') strings.addString(x);
          else others.addKey(x);
        });
      } catch (e) {
        if (!(e instanceof StopTask)) throw e;
      }
      strings.flush();
      others.flush();
    }
    return rt.u8.slice(regs.ptr, regs.ptr + m);
  } finally {
    strings.close();
    others.close();
    rt.allocator.release(regs);
  }
}

/** The words of a words() source's splits, hashed from the tokenizer's output in place. */
function addWords(node: Extract<NodeSpec, { t: 'words' }>, regs: number, p: number, ctx: TaskContext): void {
  const rt = ctx.rt;
  const tokenizer = ctx.tokenizer(node.lowercase, node.nonAlnum);
  for (const split of node.splits) {
    const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
      ctx.checkCancelled();
      // Chunks hold whole lines, so every word in one is complete (final).
      tokenizer.scan(ptr, len, true, (count, offset) => {
        hllAddPairs(rt, regs, ptr + offset, tokenizer.pairsPtr, count, p, HLL_STRING_SEED);
        ctx.metrics.inputRecords += count;
        ctx.metrics.resultRecords += count;
      });
    });
    ctx.metrics.inputBytes += bytesRead;
  }
}

/** Keys encoded back to back with their offsets, hashed into the registers a batch at a time. */
class KeyBatch {
  private readonly bytes = new ByteWriter(1 << 16);
  private readonly offsets = new Uint32Array(BATCH + 1);
  private n = 0;
  private scratch: Region | undefined;

  constructor(
    private readonly rt: KernelRuntime,
    private readonly regs: number,
    private readonly p: number,
    private readonly seed: number,
  ) {}

  addString(s: string): void {
    this.bytes.writeUtf8(s);
    this.offsets[++this.n] = this.bytes.length;
    if (this.n === BATCH) this.flush();
  }

  addKey(x: unknown): void {
    writeKey(this.bytes, x);
    this.offsets[++this.n] = this.bytes.length;
    if (this.n === BATCH) this.flush();
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const rt = this.rt;
    const len = this.bytes.length;
    const need = 4 * (BATCH + 1) + len;
    if (!this.scratch || this.scratch.size < need) {
      if (this.scratch) rt.allocator.release(this.scratch);
      this.scratch = rt.allocator.alloc(Math.max(need, 1 << 20));
    }
    const offPtr = this.scratch.ptr;
    const dataPtr = offPtr + 4 * (BATCH + 1);
    rt.u32(offPtr, n + 1).set(this.offsets.subarray(0, n + 1));
    rt.u8.set(this.bytes.bytes(), dataPtr);
    hllAddBatch(rt, this.regs, dataPtr, offPtr, n, this.p, this.seed);
    this.n = 0;
    this.bytes.reset();
    this.offsets[0] = 0;
  }

  close(): void {
    if (this.scratch) this.rt.allocator.release(this.scratch);
    this.scratch = undefined;
  }
}
