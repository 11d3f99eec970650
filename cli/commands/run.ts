// kiln run: runs a user's module against a context started from the CLI's flags, as
// spark-submit runs an application. Policy: the script's default export is called as
// `export default async function (kiln, args) {}` with the started Kiln and the
// arguments after the script; it prints its own results. The CLI owns the context's
// life (progress bar, summary, --metrics, Ctrl-C, stop), so the script must not stop
// it. A .ts script needs tsx installed where the script is (Node 20 cannot load
// TypeScript itself): kiln then registers tsx's loader before importing it.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kiln } from '../../engine/index.js';
import type { CommandSpec } from '../args.js';
import { UsageError } from '../errors.js';
import type { Command, CommandContext, Plan } from './command.js';

const spec: CommandSpec = {
  name: 'run',
  usage: 'run SCRIPT [ARGS...]',
  summary: 'run a script that uses the embedded API: its default export gets (kiln, args)',
  flagHelp: ['Flags go before SCRIPT; everything after SCRIPT is passed to the script as args.'],
  options: {},
  minOperands: 1,
};

/** The user's entry point. */
type Main = (kiln: Kiln, args: string[]) => unknown;

async function loadScript(script: string): Promise<Main> {
  const path = resolve(script);
  if (/\.[cm]?tsx?$/.test(path)) await registerTsx(path);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && (e as Error).message.includes(path)) throw new UsageError(`no such script: ${script} — check the path`);
    throw e;
  }
  if (typeof mod.default !== 'function') {
    throw new UsageError(`${script} has no default export function — write \`export default async function (kiln, args) { ... }\``);
  }
  return mod.default as Main;
}

async function registerTsx(path: string): Promise<void> {
  let api: string;
  try {
    api = createRequire(path).resolve('tsx/esm/api');
  } catch {
    throw new UsageError(`${path} is TypeScript: install tsx next to it (npm install -D tsx) or run the compiled .js file`);
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
}

function plan({ kiln, operands }: CommandContext): Plan {
  const [script, ...args] = operands as [string, ...string[]];
  return {
    explain() {
      throw new UsageError('explain cannot look inside a script — call ds.explain() in the script');
    },
    async run() {
      const main = await loadScript(script);
      await main(kiln, args);
      return { table: { columns: [], text: () => '' }, rows: [] };
    },
  };
}

/** `kiln run`. */
export const run: Command = { spec, inputs: () => [], plan };
