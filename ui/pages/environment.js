// Environment: the runtime, the effective kiln settings and system properties.
import { esc, table } from '../format.js';

const pairs = (list, id) => table(['Name', 'Value'], list.map(([k, v]) => `<tr data-name="${esc(k)}"><td>${esc(k)}</td><td>${esc(v)}</td></tr>`), `id="${id}"`);

export const environmentPage = {
  async html(ctx) {
    const env = await ctx.get(`${ctx.base}/environment`);
    const runtime = [['Node.js', env.runtime.javaVersion], ['Executable', env.runtime.javaHome], ['Engine', env.runtime.scalaVersion]];
    return `<h1>Environment</h1><h2>Runtime Information</h2>${pairs(runtime, 'runtime')}<h2>kiln Properties (effective settings)</h2>${pairs(env.sparkProperties, 'properties')}<h2>System Properties</h2>${pairs(env.systemProperties, 'system')}`;
  },
};
