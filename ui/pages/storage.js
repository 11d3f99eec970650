// Storage: persisted datasets with at least one stored partition (Spark's Storage
// tab), read from /storage/rdd with Spark's field names. kiln stores every block
// serialized (record codec) and once, so the level reads "... Serialized 1x Replicated"
// unless a _2 level was asked for.
import { bytes, esc, num, table } from '../format.js';

export const storagePage = {
  async html(ctx) {
    const rdds = await ctx.get(`${ctx.base}/storage/rdd`);
    const rows = rdds.map((r) => `<tr><td>${r.id}</td><td>${esc(r.name)}</td><td>${esc(r.storageLevel)}</td>${num(r.numCachedPartitions)}${num(Math.round((100 * r.numCachedPartitions) / Math.max(1, r.numPartitions)), (x) => `${x}%`)}${num(r.memoryUsed, bytes)}${num(r.diskUsed, bytes)}</tr>`);
    const note = rdds.length === 0 ? '<p class="muted" id="storage-empty">No persisted dataset holds a stored partition yet: persist() or cache() one and run an action.</p>' : '';
    return `<h1>Storage</h1>${note}${table(['ID', 'RDD Name', 'Storage Level', { num: 'Cached Partitions' }, { num: 'Fraction Cached' }, { num: 'Size in Memory' }, { num: 'Size on Disk' }], rows, 'id="storage"')}`;
  },
};
