// The wrong-case-key stress harness (issue 9). A rare `kiln wordcount` answer had the
// right count under a key in its first occurrence's case ("It 4" for "It ... it ... it
// ... it"): the lookup had compared the lowercased bytes, but the key stored was read
// back from input memory that held the original bytes again, i.e. a write (the in-place
// lowercase) was lost. It was seen only in the first run after the machine idled.
// Policy: this is a measurement, not a test. It runs the repro under the conditions it
// was seen in, one condition at a time, against any kiln build (`--dist`), and reports
// the failure rate per condition next to the kernel's THP, compaction and migration
// counters (/proc/vmstat deltas), which are what "idle" changes on a Linux VM: a lost
// write of this shape is what a page copied and remapped under a running writer gives.
//
// Run: node dist/bench/wrong-case-stress.js [--dist DIR] [--trials N] [--pause S]
//      [--conditions c1,c2,...] [--loop N]
// Conditions: plain, pause (sleep S s first), pauseinline (the same, then an inline run), pressure (another process touches 4 GiB
// during the run), khugepaged (khugepaged scans every 100 ms during the run; restored
// after), nohuge (API run with hugePages: false), mmap (--io mmap), inline (no --workers: the CLI runs a tiny input inline).
// --loop N instead runs N word counts in one process per condition (memory reused, so
// populated 4 KiB pages are khugepaged's collapse candidates).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const TEXT = 'It was the best of times, it was the worst of times,\nit was the age of wisdom, it was the age of foolishness,\n';
const KHUGEPAGED = '/sys/kernel/mm/transparent_hugepage/khugepaged';
const COUNTERS = ['thp_fault_alloc', 'thp_collapse_alloc', 'thp_split_page', 'thp_underused_split_page', 'thp_deferred_split_page', 'compact_stall', 'compact_success', 'compact_daemon_wake', 'pgmigrate_success'];

type Condition = 'plain' | 'pause' | 'pauseinline' | 'pressure' | 'khugepaged' | 'nohuge' | 'mmap' | 'inline';

interface Options {
  dist: string;
  trials: number;
  pause: number;
  conditions: Condition[];
  loop: number;
}

function parse(argv: string[]): Options {
  const here = fileURLToPath(new URL('../..', import.meta.url));
  const o: Options = { dist: here, trials: 20, pause: 40, conditions: ['plain', 'pause', 'pressure', 'khugepaged', 'nohuge', 'mmap', 'inline'], loop: 0 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--dist': o.dist = resolve(v!); i++; break;
      case '--trials': o.trials = Number(v); i++; break;
      case '--pause': o.pause = Number(v); i++; break;
      case '--loop': o.loop = Number(v); i++; break;
      case '--conditions': o.conditions = v!.split(',') as Condition[]; i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return o;
}

/** Expected counts, as kiln's default word count (lowercased, split on whitespace). */
function reference(): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of TEXT.toLowerCase().split(/\s+/)) if (w) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** The rows of one answer (`word count` lines), or a description of what is wrong. */
function check(out: string, expected: Map<string, number>): string | undefined {
  const got = new Map<string, number>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const at = line.lastIndexOf(' ');
    got.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  const bad: string[] = [];
  for (const [k, n] of got) if (expected.get(k) !== n) bad.push(`${k} ${n}`);
  for (const [k, n] of expected) if (got.get(k) !== n) bad.push(`missing ${k} ${n}`);
  return bad.length ? bad.join(', ') : undefined;
}

function vmstat(): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync('/proc/vmstat', 'utf8').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && COUNTERS.includes(k)) m.set(k, Number(v));
  }
  try {
    m.set('pages_collapsed', Number(readFileSync(`${KHUGEPAGED}/pages_collapsed`, 'utf8')));
  } catch {
    // not Linux, or no THP: the counter stays absent
  }
  return m;
}

function delta(a: Map<string, number>, b: Map<string, number>, into: Map<string, number>): void {
  for (const [k, v] of b) into.set(k, (into.get(k) ?? 0) + v - (a.get(k) ?? 0));
}

/** Sets khugepaged's scan interval; returns the previous value (undefined if not writable). */
function khugepagedSleep(ms: number): string | undefined {
  try {
    const before = readFileSync(`${KHUGEPAGED}/scan_sleep_millisecs`, 'utf8').trim();
    writeFileSync(`${KHUGEPAGED}/scan_sleep_millisecs`, String(ms));
    return before;
  } catch {
    return undefined;
  }
}

/** A process that keeps touching `gib` GiB (memory pressure: reclaim and compaction) until killed. */
function pressure(gib: number): ChildProcess {
  const src = `const b=[];for(let i=0;i<${gib * 4};i++){const a=Buffer.alloc(256*2**20);b.push(a)}
    for(;;){for(const a of b)for(let j=0;j<a.length;j+=4096)a[j]++}`;
  return spawn(process.execPath, ['-e', src], { stdio: 'ignore' });
}

/** One run of the repro; returns kiln's stdout (or throws with its stderr). */
function runOnce(o: Options, file: string, c: Condition): string {
  if (c === 'nohuge') {
    const src = `import(${JSON.stringify(join(o.dist, 'dist/engine/index.js'))}).then(async ({Kiln})=>{
      const k=await Kiln.start({workers:1,hugePages:false});
      const rows=await k.textFile(${JSON.stringify(file)}).words({lowercase:true}).valueCounts().collect();
      await k.stop();process.stdout.write(rows.map(([w,n])=>w+' '+n+'\\n').join(''))})`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  }
  const flags = c === 'mmap' ? ['--io', 'mmap'] : [];
  // inline: no --workers, so the CLI picks inline for this tiny input (builds before
  // `--workers 0` existed did the same).
  const workers = c === 'inline' || c === 'pauseinline' ? [] : ['--workers', '1'];
  const r = spawnSync(process.execPath, [join(o.dist, 'dist/cli/main.js'), 'wordcount', '--quiet', ...workers, ...flags, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** N word counts in one process (API, 1 worker); returns the answers that were wrong. */
function runLoop(o: Options, file: string, n: number): string[] {
  const src = `import(${JSON.stringify(join(o.dist, 'dist/engine/index.js'))}).then(async ({Kiln})=>{
    const k=await Kiln.start({workers:1});
    for(let i=0;i<${n};i++){const rows=await k.textFile(${JSON.stringify(file)}).words({lowercase:true}).valueCounts().collect();
      const bad=rows.filter(([w])=>w!==w.toLowerCase());if(bad.length)console.log(JSON.stringify(bad))}
    await k.stop()})`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'kiln-wrongcase-'));
  const expected = reference();
  const restore: (() => void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const cleanup = (): void => {
    for (const f of restore.splice(0).reverse()) f();
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  console.log(`dist ${o.dist}; ${o.loop ? `${o.loop} runs in one process` : `${o.trials} trials`} per condition; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log('| condition | runs | wrong | first wrong answer | vmstat deltas over the condition |');
  console.log('|---|---:|---:|---|---|');
  try {
    for (const c of o.conditions) {
      const deltas = new Map<string, number>();
      let wrong = 0;
      let first = '';
      let runs = 0;
      const trials = o.loop ? 1 : o.trials;
      for (let t = 0; t < trials; t++) {
        const file = join(dir, `dickens-${c}-${t}.txt`);
        writeFileSync(file, TEXT);
        if (c === 'pause' || c === 'pauseinline') await sleep(o.pause * 1000);
        let hog: ChildProcess | undefined;
        let khuge: string | undefined;
        if (c === 'pressure') {
          hog = pressure(4);
          await sleep(3000);
        }
        if (c === 'khugepaged') {
          khuge = khugepagedSleep(100);
          if (khuge !== undefined) restore.push(() => khugepagedSleep(Number(khuge)));
        }
        const before = vmstat();
        try {
          if (o.loop) {
            const bad = runLoop(o, file, o.loop);
            runs += o.loop;
            wrong += bad.length;
            if (bad.length && !first) first = bad[0]!;
          } else {
            const out = runOnce(o, file, c);
            runs++;
            const bad = check(out, expected);
            if (bad) {
              wrong++;
              if (!first) first = bad;
            }
          }
        } finally {
          delta(before, vmstat(), deltas);
          hog?.kill('SIGKILL');
          if (khuge !== undefined) {
            khugepagedSleep(Number(khuge));
            restore.pop();
          }
          rmSync(file, { force: true });
        }
      }
      const d = [...deltas].filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
      console.log(`| ${c} | ${runs} | ${wrong} | ${first || '-'} | ${d} |`);
    }
  } finally {
    cleanup();
  }
}

await main();
