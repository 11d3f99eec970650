// A hash table from string keys to combined values, for the JS aggregation paths
// (KeyedMap). Policy: open addressing (linear probing, load <= 1/2) over typed arrays,
// with the key's hash computed in JS, entries kept in insertion order.
//
// Why not a JS Map: a Map lookup of a string that was just made (a word out of
// split(), a key decoded from a shuffle block: every key on these paths) first has V8
// hash the string, a call out of JIT code; that was about a third of a Map update
// here, and a count also pays a second lookup for its set. Hashing a short key with
// charCodeAt in a loop the JIT compiles is cheaper, and one probe finds the slot for
// both the read and the write. Measured on the Zipf corpus's words: the update costs
// about 40% less than Map get + set (bench/README.md, "Engine (end to end)").
//
// Each slot keeps its entry's hash next to the entry index, so a probe touches the
// key string only when the full 32-bit hashes agree. The hash is FNV-1a over UTF-16
// code units with murmur3's finalizer, started from a per-table random seed (as V8
// seeds its own string hash), so slot layout differs from run to run while the output
// does not: entries are dense arrays
// in insertion order: iteration is deterministic and never visits empty slots.

/** Initial slot count (a power of two). */
const INITIAL_SLOTS = 1024;

/** A map from strings to values: insertion-ordered, `===` key equality. */
export class StringTable {
  /** Keys, in insertion order (entry i is keys[i], values[i]). */
  readonly keys: string[] = [];
  /** Values, parallel to keys. */
  readonly values: unknown[] = [];
  /** Per slot: entry index + 1, or 0 when empty. */
  private slots = new Int32Array(INITIAL_SLOTS);
  /** Per slot: the hash of the entry held there. */
  private hashes = new Int32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private readonly seed = (Math.random() * 0x100000000) | 0;

  /** Entries held. */
  get size(): number {
    return this.keys.length;
  }

  /** Folds `value` into the entry of `key`: create(value) when new, else merge(current, value). */
  update(key: string, value: unknown, create: (v: unknown) => unknown, merge: (c: unknown, v: unknown) => unknown): void {
    const h = this.hash(key);
    const i = this.slotOf(key, h);
    const e = this.slots[i]!;
    if (e !== 0) this.values[e - 1] = merge(this.values[e - 1], value);
    // create runs before anything is inserted, so a throwing create leaves no entry.
    else this.insert(i, h, key, create(value));
  }

  /** Adds `key` with value `init()` unless present. */
  add(key: string, init: () => unknown): void {
    const h = this.hash(key);
    const i = this.slotOf(key, h);
    if (this.slots[i] === 0) this.insert(i, h, key, init());
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private slotOf(key: string, h: number): number {
    const slots = this.slots;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = slots[i]!;
      if (e === 0 || (hashes[i] === h && this.keys[e - 1] === key)) return i;
      i = (i + 1) & mask;
    }
  }

  private insert(slot: number, h: number, key: string, value: unknown): void {
    this.keys.push(key);
    this.values.push(value);
    this.slots[slot] = this.keys.length;
    this.hashes[slot] = h;
    if (this.keys.length * 2 > this.slots.length) this.grow();
  }

  /** Doubles the slot arrays and re-places every entry by its kept hash (no key is rehashed). */
  private grow(): void {
    const n = this.slots.length * 2;
    const mask = n - 1;
    const slots = new Int32Array(n);
    const hashes = new Int32Array(n);
    for (let s = 0; s < this.slots.length; s++) {
      const e = this.slots[s]!;
      if (e === 0) continue;
      const h = this.hashes[s]!;
      let i = h & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e;
      hashes[i] = h;
    }
    this.slots = slots;
    this.hashes = hashes;
    this.mask = mask;
  }

  /** FNV-1a over the UTF-16 code units, then murmur3's fmix32 (spreads low-bit differences). */
  private hash(key: string): number {
    let h = this.seed ^ key.length;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }
}
