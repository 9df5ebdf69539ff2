#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark through its npm script, one after another (each one
 * measures alone on the machine), takes the JSON object on its last line, and writes one report:
 * bench-results/report.json (every figure, with the goal where an issue states one) and
 * bench-results/report.md (the same as a table).
 *
 *   npm run bench [-- --only commit,gas] [--out bench-results]
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Goal {
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** The benchmarks, in run order, with the goals their issues state (figure -> goal). */
const BENCHES: readonly { readonly name: string; readonly script: string; readonly measures: string; readonly goals: Readonly<Record<string, Goal>> }[] = [
  { name: 'commit', script: 'bench:commit', measures: 'state root of a 64 MiB state vs bulk SHA-256', goals: { ratio: { op: '>=', value: 0.4 } } },
  {
    name: 'gas',
    script: 'bench:gas',
    measures: 'gas of each market call and of a 10-checkpoint job',
    goals: { commitCheckpoint: { op: '<=', value: 50_000 }, happyPath10: { op: '<=', value: 1_200_000 } },
  },
  {
    name: 'opcheck',
    script: 'bench:opcheck',
    measures: 'gas of one on-chain element check per op',
    goals: {
      matmul_k1024: { op: '<=', value: 1_000_000 },
      bias_add: { op: '<=', value: 150_000 },
      relu: { op: '<=', value: 150_000 },
      softmax_xent: { op: '<=', value: 150_000 },
      sgd_momentum: { op: '<=', value: 150_000 },
      state_link: { op: '<=', value: 150_000 },
    },
  },
  {
    name: 'train',
    script: 'bench:train',
    measures: 'canonical-graph engine vs plain tfjs; checkpoint overhead',
    goals: { ratio: { op: '>=', value: 0.9 }, checkpoint_overhead_pct: { op: '<=', value: 5 } },
  },
  { name: 'storage', script: 'bench:storage', measures: '64 MiB checkpoint: add, fetch over loopback, raw hash + write', goals: {} },
  { name: 'dispute', script: 'bench:dispute', measures: 'gas of a whole dispute game (k = 64)', goals: { total_gas: { op: '<=', value: 3_000_000 } } },
  {
    name: 'verify',
    script: 'bench:verify',
    measures: 'verifier detection rate and compute fraction',
    goals: { detection_rate: { op: '>=', value: 0.99 }, compute_fraction: { op: '<=', value: 0.05 } },
  },
];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    out: { type: 'string', default: 'bench-results' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench -- [--only ${BENCHES.map((b) => b.name).join(',')}] [--out dir]

Runs every benchmark (each through its npm script, one at a time) and writes <out>/report.json
and <out>/report.md: every figure and ratio, with the goal next to it where an issue states one.`);
  process.exit(0);
}
const only = args.only?.split(',').map((s) => s.trim());
const selected = BENCHES.filter((b) => only === undefined || only.includes(b.name));
const root = path.resolve(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

type Figures = Record<string, unknown>;
interface Result {
  readonly name: string;
  readonly script: string;
  readonly measures: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly figures: Figures;
  readonly error?: string;
}

function runScript(script: string): Promise<{ code: number | null; lastJson: Figures | undefined; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let lastJson: Figures | undefined;
    const tail: string[] = [];
    let buffer = '';
    const onData = (chunk: Buffer, echo: NodeJS.WriteStream): void => {
      echo.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        const t = line.trim();
        if (t.startsWith('{') && t.endsWith('}')) {
          try {
            lastJson = JSON.parse(t) as Figures;
          } catch {
            /* not JSON after all */
          }
        }
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      onData(c, process.stdout);
    });
    child.stderr.on('data', (c: Buffer) => {
      process.stderr.write(c);
    });
    child.on('exit', (code) => {
      resolve({ code, lastJson, tail: tail.join('\n') });
    });
  });
}

/** Flattens nested objects into dotted keys (dispute's `moves.postMidpoint`). */
function flatten(o: Figures, prefix = ''): [string, unknown][] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? flatten(v as Figures, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

const results: Result[] = [];
for (const b of selected) {
  console.log(`\n=== npm run ${b.script} ===`);
  const t = performance.now();
  const { code, lastJson, tail } = await runScript(b.script);
  const seconds = Math.round((performance.now() - t) / 100) / 10;
  const ok = code === 0 && lastJson !== undefined;
  results.push({
    name: b.name,
    script: b.script,
    measures: b.measures,
    ok,
    seconds,
    figures: lastJson ?? {},
    ...(ok ? {} : { error: `exit ${String(code)}${lastJson === undefined ? ', no JSON last line' : ''}: ${tail.split('\n').slice(-3).join(' | ')}` }),
  });
}

const met = (goal: Goal, v: unknown): boolean | undefined => (typeof v !== 'number' ? undefined : goal.op === '<=' ? v <= goal.value : v >= goal.value);
const rows = results.flatMap((r) => {
  const bench = BENCHES.find((b) => b.name === r.name);
  return flatten(r.figures)
    .filter(([k]) => k !== 'bench')
    .map(([figure, value]) => {
      const goal = bench?.goals[figure];
      return {
        bench: r.name,
        figure,
        value,
        goal: goal === undefined ? null : `${goal.op} ${goal.value}`,
        met: goal === undefined ? null : (met(goal, value) ?? null),
      };
    });
});
const report = {
  report: 'bench',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version },
  benches: results,
  figures: rows,
  goals_met: rows.filter((r) => r.met === true).length,
  goals_missed: rows.filter((r) => r.met === false).map((r) => `${r.bench}.${r.figure}`),
  failed: results.filter((r) => !r.ok).map((r) => r.name),
};

const fmt = (v: unknown): string =>
  typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : String(Math.round(v * 10_000) / 10_000)) : JSON.stringify(v);
const md = [
  '# Veritrain benchmark report',
  '',
  `${report.date} · ${report.machine.cpus} × ${report.machine.cpu} · ${report.machine.memory_gib} GiB · Node ${report.machine.node}`,
  '',
  '| bench | figure | value | goal | met |',
  '|---|---|---:|---|:-:|',
  ...rows.map((r) => `| ${r.bench} | ${r.figure} | ${fmt(r.value)} | ${r.goal ?? ''} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} |`),
  '',
  '| bench | measures | script | seconds | result |',
  '|---|---|---|---:|---|',
  ...results.map(
    (r) => `| ${r.name} | ${r.measures} | \`npm run ${r.script}\` | ${r.seconds} | ${r.ok ? 'ok' : `failed: ${(r.error ?? '').replace(/\|/g, '/')}`} |`,
  ),
  '',
].join('\n');

const out = path.resolve(root, args.out);
await mkdir(out, { recursive: true });
await writeFile(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(path.join(out, 'report.md'), md);
console.log(`\n${md}`);
console.log(`wrote ${path.join(out, 'report.json')} and report.md`);
console.log(JSON.stringify({ bench: 'all', benches: results.length, failed: report.failed, goals_met: report.goals_met, goals_missed: report.goals_missed }));
process.exitCode = report.failed.length === 0 ? 0 : 1;
