// Executors: kiln's worker threads (the "driver" executor when tasks ran inline).
import { bytes, esc, ms, num, table, when } from '../format.js';

export const executorsPage = {
  async html(ctx) {
    const ex = await ctx.get(`${ctx.base}/executors`);
    const rows = ex.map((e) => `<tr data-executor="${esc(e.id)}"><td>${esc(e.id)}</td><td>${esc(e.hostPort)}</td><td>${e.isActive ? 'Active' : 'Dead'}</td><td>${esc(when(e.addTime))}</td>${num(e.activeTasks, String, 'activeTasks')}${num(e.failedTasks, String, 'failedTasks')}${num(e.completedTasks, String, 'completedTasks')}${num(e.totalTasks, String, 'totalTasks')}${num(e.totalDuration, ms, 'totalDuration')}${num(e.totalInputBytes, bytes, 'totalInputBytes')}${num(e.totalShuffleRead, bytes, 'totalShuffleRead')}${num(e.totalShuffleWrite, bytes, 'totalShuffleWrite')}${num(e.kilnDiskBytesSpilled ?? 0, bytes, 'diskBytesSpilled')}</tr>`);
    return `<h1>Executors</h1><p class="muted">One executor per worker thread (cluster mode will list processes); "driver" runs tasks inline for tiny inputs.</p>${table(['Executor ID', 'Address', 'Status', 'Added', { num: 'Active Tasks' }, { num: 'Failed Tasks' }, { num: 'Complete Tasks' }, { num: 'Total Tasks' }, { num: 'Task Time' }, { num: 'Input' }, { num: 'Shuffle Read' }, { num: 'Shuffle Write' }, { num: 'Spill (disk)' }], rows, 'id="executors"')}`;
  },
};
