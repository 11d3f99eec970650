// The driver's registry of broadcast variables. Policy (Spark's TorrentBroadcast,
// for one machine): a value is serialized once (v8) into the driver's span of the
// shared memory; tasks carry only (id, ptr, len), and each worker deserializes it on
// first use and keeps it. destroy() frees the bytes; later use is a clear error.
import { serialize } from 'node:v8';
import type { BroadcastRef } from '../../common/protocol/protocol.js';
import type { KernelRuntime } from '../../executor/kernels/runtime.js';
import type { Region } from '../../executor/memory/region.js';

/** Live broadcast values, by id. */
export class BroadcastRegistry {
  private readonly live = new Map<number, { ref: BroadcastRef; region: Region }>();

  constructor(private readonly rt: KernelRuntime) {}

  /** Serializes `value` into shared memory under `id`; returns its serialized size. */
  register(id: number, value: unknown): number {
    const bytes = serialize(value);
    const region = this.rt.allocator.alloc(bytes.length);
    this.rt.u8.set(bytes, region.ptr);
    this.live.set(id, { ref: { id, ptr: region.ptr, len: bytes.length }, region });
    return bytes.length;
  }

  /** Frees a broadcast's bytes. */
  remove(id: number): void {
    const entry = this.live.get(id);
    if (!entry) return;
    this.live.delete(id);
    this.rt.allocator.release(entry.region);
  }

  /** References to every live broadcast, for a task. */
  snapshot(): BroadcastRef[] {
    return [...this.live.values()].map((e) => e.ref);
  }
}
