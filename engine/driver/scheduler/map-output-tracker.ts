// Map output tracker (Spark's MapOutputTracker): the driver's registry of every map
// task's shuffle blocks. Policy: output is kept until its shuffle is dropped (the
// dataset was garbage-collected, or the context stopped), so later jobs reuse it;
// dropping frees its shared-memory regions and deletes its spill files.
import { rmSync } from 'node:fs';
import type { BlockSpec } from '../../common/protocol/protocol.js';
import type { Region } from '../../executor/memory/region.js';

/** One map task's output. */
export interface MapStatus {
  readonly blocks: readonly BlockSpec[];
  /** Shuffle-arena regions holding in-memory blocks (freed with the shuffle). */
  readonly regions: readonly Region[];
}

interface ShuffleEntry {
  readonly outputs: (MapStatus | undefined)[];
}

/** Registry of map outputs, by shuffle id and map partition. */
export class MapOutputTracker {
  private readonly shuffles = new Map<number, ShuffleEntry>();

  constructor(private readonly releaseRegion: (region: Region) => void) {}

  /** Declares a shuffle with `maps` map partitions (idempotent). */
  register(shuffleId: number, maps: number): void {
    if (!this.shuffles.has(shuffleId)) this.shuffles.set(shuffleId, { outputs: new Array<MapStatus | undefined>(maps).fill(undefined) });
  }

  /** Records a finished map task's output, replacing (and freeing) an older attempt's. */
  put(shuffleId: number, mapId: number, status: MapStatus): void {
    const entry = this.entry(shuffleId);
    const old = entry.outputs[mapId];
    if (old) this.free(old);
    entry.outputs[mapId] = status;
  }

  /** Map partitions whose output is missing. */
  missing(shuffleId: number): number[] {
    const entry = this.shuffles.get(shuffleId);
    if (!entry) return [];
    const out: number[] = [];
    entry.outputs.forEach((s, i) => s === undefined && out.push(i));
    return out;
  }

  /** True when every map output of the shuffle is available. */
  isAvailable(shuffleId: number): boolean {
    const entry = this.shuffles.get(shuffleId);
    return entry !== undefined && entry.outputs.every((s) => s !== undefined);
  }

  /** Every block of the shuffle (a reduce task reads its segment of each). */
  blocks(shuffleId: number): BlockSpec[] {
    return this.entry(shuffleId).outputs.flatMap((s) => {
      if (!s) throw new Error(`shuffle ${shuffleId} read before all map outputs were available`);
      return s.blocks;
    });
  }

  /**
   * Bytes of each reduce partition in each map block: [partition][block], blocks in
   * the order {@link blocks} lists them (a join's sizes and skew splits).
   */
  blockBytes(shuffleId: number, partitions: number): number[][] {
    const blocks = this.blocks(shuffleId);
    return Array.from({ length: partitions }, (_, p) => blocks.map((b) => b.offsets[p + 1]! - b.offsets[p]!));
  }

  /** Drops a shuffle: frees its memory and deletes its spill files. */
  unregister(shuffleId: number): void {
    const entry = this.shuffles.get(shuffleId);
    if (!entry) return;
    this.shuffles.delete(shuffleId);
    for (const s of entry.outputs) if (s) this.free(s);
  }

  /** Drops everything (context stop). */
  clear(): void {
    for (const id of [...this.shuffles.keys()]) this.unregister(id);
  }

  /** Shuffle ids currently held. */
  get shuffleIds(): number[] {
    return [...this.shuffles.keys()];
  }

  private entry(shuffleId: number): ShuffleEntry {
    const entry = this.shuffles.get(shuffleId);
    if (!entry) throw new Error(`unknown shuffle ${shuffleId}`);
    return entry;
  }

  private free(status: MapStatus): void {
    for (const r of status.regions) this.releaseRegion(r);
    for (const b of status.blocks) {
      if (b.location.kind === 'file') {
        rmSync(b.location.path, { force: true });
        rmSync(`${b.location.path.replace(/\.data$/, '')}.index`, { force: true });
      }
    }
  }
}
