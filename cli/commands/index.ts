// The kiln commands, in the order `kiln --help` lists them. Re-exports only.
export { wordcount } from './wordcount.js';
export { grep } from './grep.js';
export { distinct } from './distinct.js';
export { sort } from './sort.js';
export { join } from './join.js';
export { run } from './run.js';
export { explain } from './explain.js';
export { history } from './history.js';
