// bench:commit: state-root speed of a 64 MiB state against bulk SHA-256 in the same process.
// Prints figures as it goes and, as its last line, one JSON object.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createRootHasher, stateRoot, type Tensor } from '../../sdk/index.ts';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' },
    threads: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:commit -- [--mib N] [--threads T]

Builds the state root of an N MiB state (default 64) on T worker threads (default: all cores)
and on the calling thread alone, and compares both with bulk SHA-256 over the same bytes.
Last line: {"bench":"commit","mib_per_s":…,"sha256_bulk_mib_per_s":…,"ratio":…,"peak_rss_mib":…,…}`);
  process.exit(0);
}

const MIB = 2 ** 20;
const stateMib = Number(args.mib);
const rssBefore = process.memoryUsage().rss;

// A realistic mix: square weight matrices with their biases and momentum slots.
function makeState(totalMib: number): Tensor[] {
  const tensors: Tensor[] = [];
  const side = 1024;
  for (let seed = 1; seed <= Math.floor(totalMib / 4); seed++) {
    const w = new Float32Array(new SharedArrayBuffer(side * side * 4));
    for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 0.001 + seed);
    tensors.push({ shape: [side, side], data: w });
    tensors.push({ shape: [side], data: new Float32Array(side).fill(seed) });
  }
  return tensors;
}

const state = makeState(stateMib);
const totalBytes = state.reduce((n, t) => n + t.data.byteLength, 0);
const rssWithState = process.memoryUsage().rss;

function best(fn: () => void, reps: number): number {
  let bestS = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    bestS = Math.min(bestS, (performance.now() - t) / 1000);
  }
  return bestS;
}

// Bulk SHA-256 over the same byte count: one call per tensor, as fast as the hash goes.
const bulkS = best(() => {
  for (const t of state)
    createHash('sha256')
      .update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
      .digest();
}, 5);
const bulk = totalBytes / MIB / bulkS;
console.log(`state: ${state.length} tensors, ${(totalBytes / MIB).toFixed(1)} MiB`);
console.log(`bulk sha256:            ${bulk.toFixed(0)} MiB/s`);

const single = totalBytes / MIB / best(() => stateRoot(state), 3);
console.log(`state root, 1 thread:   ${single.toFixed(0)} MiB/s (${(single / bulk).toFixed(2)} of bulk)`);

const hasher = createRootHasher(args.threads === undefined ? {} : { threads: Number(args.threads) });
const expected = stateRoot(state);
if ((await hasher.stateRoot(state)) !== expected) throw new Error('worker pool root differs from the single-thread root');
let pooledS = Infinity;
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  await hasher.stateRoot(state);
  pooledS = Math.min(pooledS, (performance.now() - t) / 1000);
}
await hasher.close();
const pooled = totalBytes / MIB / pooledS;
console.log(`state root, ${hasher.threads} threads:  ${pooled.toFixed(0)} MiB/s (${(pooled / bulk).toFixed(2)} of bulk)`);

const peakRss = process.resourceUsage().maxRSS / 1024;
const extra = peakRss - rssWithState / MIB;
console.log(
  `peak RSS ${peakRss.toFixed(0)} MiB: ${(rssBefore / MIB).toFixed(0)} MiB before the state, ${(rssWithState / MIB).toFixed(0)} MiB with it; hashing added ${extra.toFixed(0)} MiB (${hasher.threads} worker isolates included)`,
);
console.log(
  JSON.stringify({
    bench: 'commit',
    mib_per_s: Math.round(pooled),
    sha256_bulk_mib_per_s: Math.round(bulk),
    ratio: Number((pooled / bulk).toFixed(3)),
    peak_rss_mib: Math.round(peakRss),
    threads: hasher.threads,
    single_thread_mib_per_s: Math.round(single),
    single_thread_ratio: Number((single / bulk).toFixed(3)),
    state_mib: Math.round(totalBytes / MIB),
    hashing_extra_rss_mib: Math.round(extra),
  }),
);
