// kiln history: Spark's History Server over a directory of kiln event logs. Policy:
// it runs no job and starts no context; cli/history.ts serves the same UI and REST API
// as a live context's --ui, from the logs, until Ctrl-C.
import type { CommandSpec } from '../args.js';
import type { Command } from './command.js';

const spec: CommandSpec = {
  name: 'history',
  usage: 'history DIR [--port 18080] [--host 127.0.0.1]',
  summary: 'serve the web UI and REST API from the event logs in DIR (written with --event-log)',
  flagHelp: ['    --port N          port to listen on (default 18080, Spark\'s)', '    --host HOST       address to bind (default 127.0.0.1; any other needs the printed token)'],
  options: { port: { type: 'string' }, host: { type: 'string' } },
  minOperands: 1,
};

/** `kiln history`: main.ts serves it (cli/history.ts); this object carries the spec. */
export const history: Command = {
  spec,
  inputs: () => [],
  plan() {
    throw new Error('kiln history runs no job; cli/history.ts serves it');
  },
};
