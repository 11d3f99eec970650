// Storage: cached datasets. kiln has no persist()/cache() yet, so the list is empty;
// the page reads /storage/rdd like Spark's and will list them once persistence exists.
import { bytes, esc, num, table } from '../format.js';

export const storagePage = {
  async html(ctx) {
    const rdds = await ctx.get(`${ctx.base}/storage/rdd`);
    const rows = rdds.map((r) => `<tr><td>${r.id}</td><td>${esc(r.name)}</td><td>${esc(r.storageLevel)}</td>${num(r.numCachedPartitions)}${num(r.memoryUsed, bytes)}${num(r.diskUsed, bytes)}</tr>`);
    const note = rdds.length === 0 ? '<p class="muted" id="storage-empty">No cached datasets: kiln has no persist() or cache() yet. Once it does, cached datasets are listed here.</p>' : '';
    return `<h1>Storage</h1>${note}${table(['ID', 'RDD Name', 'Storage Level', { num: 'Cached Partitions' }, { num: 'Size in Memory' }, { num: 'Size on Disk' }], rows, 'id="storage"')}`;
  },
};
