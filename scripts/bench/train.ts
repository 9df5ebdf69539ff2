// bench:train: the canonical-graph engine against ordinary tfjs training of the same model, and
// the cost of checkpointing every 50 steps, all on one backend in one process.
// Last line: {"bench":"train","backend":…,"plain_steps_per_s":…,"engine_steps_per_s":…,"ratio":…,"checkpoint_overhead_pct":…}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as tfjs from '@tensorflow/tfjs';
import {
  BACKENDS,
  buildGraph,
  completeSpec,
  createDirCheckpointStore,
  createRootHasher,
  datasetRoot,
  executeStep,
  initialState,
  loadBatch,
  loadMnist,
  MNIST_RECORD_BYTES,
  silentLogger,
  toTf,
  train,
  useBackend,
  type BackendName,
} from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '1000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:train -- [--backend ${BACKENDS.join('|')}] [--steps N]

Trains the MNIST MLP 784-128-10 (batch 64, SGD with momentum) on one backend: plain tfjs
(optimizer.minimize) against the canonical-graph engine's step loop (ratio), and whole train()
runs checkpointing every 50 steps against only at the end (checkpoint overhead: state root on a
worker thread, atomic fsynced files, the bit-exact self-check every 10th interval).`);
  process.exit(0);
}
const backend = args.backend as BackendName;
if (!BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}`);
const steps = Number(args.steps);
const interval = 50;
if (!Number.isInteger(steps) || steps < interval || steps % interval !== 0) throw new Error(`--steps must be a positive multiple of ${interval}`);

const mnist = loadMnist();
const { graphRoot: _unused, ...input } = exampleSpec();
input.data.recordCount = mnist.count;
input.data.root = datasetRoot(mnist.records, MNIST_RECORD_BYTES);
input.training = { steps, checkpointInterval: interval, batchSize: 64 };
const spec = completeSpec(input);
const tf = await useBackend(backend);
const graph = buildGraph(spec);
const batches = Array.from({ length: steps }, (_, j) => loadBatch(spec, mnist.records, j));
const init = initialState(spec);

function plain(): number {
  // The same model the ordinary way: variables in [in, out] layout, autodiff, tf.train.momentum.
  const [vw1, vb1, vw2, vb2] = [init[4], init[5], init[6], init[7]].map((t, i) => {
    const data = t as { shape: readonly number[]; data: Float32Array };
    return tf.variable(i % 2 === 0 ? tf.transpose(tf.tensor(data.data, [...data.shape])) : tf.tensor(data.data, [...data.shape]));
  }) as [ReturnType<typeof tf.variable>, ReturnType<typeof tf.variable>, ReturnType<typeof tf.variable>, ReturnType<typeof tf.variable>];
  const optimizer = tf.train.momentum(spec.optimizer.learningRate, spec.optimizer.momentum);
  const run = (j: number): void => {
    const b = batches[j % steps];
    if (b === undefined) return;
    tf.tidy(() => {
      const x = tf.tensor(b.x, [64, 784]);
      const y = tf.tensor(b.y, [64, 10]);
      optimizer.minimize(() =>
        tf.losses.softmaxCrossEntropy<tfjs.Tensor, tfjs.Scalar>(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, vw1), vb1)), vw2), vb2)),
      );
    });
  };
  for (let j = 0; j < 20; j++) run(j); // warm-up
  const t = performance.now();
  for (let j = 0; j < steps; j++) run(j);
  const s = (performance.now() - t) / 1000;
  for (const v of [vw1, vb1, vw2, vb2]) v.dispose();
  optimizer.dispose();
  return steps / s;
}

function engineOnly(): number {
  let state = toTf(tf, init);
  const step = (j: number): void => {
    const batch = batches[j % steps];
    if (batch === undefined) return;
    const next = executeStep(tf, graph, state, batch).state;
    for (const t of state) t.dispose();
    state = next;
  };
  for (let j = 0; j < 20; j++) step(j);
  const t = performance.now();
  for (let j = 0; j < steps; j++) step(j);
  const s = (performance.now() - t) / 1000;
  for (const x of state) x.dispose();
  return steps / s;
}

/** A whole train() run (setup included) checkpointing every `every` steps. */
async function trainRun(every: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'veritrain-bench-'));
  const hasher = createRootHasher({ threads: 1 });
  const runSpec = { ...spec, training: { ...spec.training, checkpointInterval: every } };
  try {
    const t = performance.now();
    await train({ spec: runSpec, records: mnist.records, backend, store: createDirCheckpointStore(dir), hasher, log: silentLogger });
    return steps / ((performance.now() - t) / 1000);
  } finally {
    await hasher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Interleave two rounds so drift in machine load hits all three alike; keep each best.
let plainBest = 0;
let engineBest = 0;
let ckptBest = 0;
let finalOnlyBest = 0;
for (let round = 0; round < 3; round++) {
  plainBest = Math.max(plainBest, plain());
  engineBest = Math.max(engineBest, engineOnly());
  finalOnlyBest = Math.max(finalOnlyBest, await trainRun(steps));
  ckptBest = Math.max(ckptBest, await trainRun(interval));
  console.log(
    `round ${round + 1}: plain ${plainBest.toFixed(1)} steps/s, engine loop ${engineBest.toFixed(1)}, train() checkpointing only at the end ${finalOnlyBest.toFixed(1)}, every ${interval} steps ${ckptBest.toFixed(1)}`,
  );
}
// Same train() setup in both runs; the difference is the 50-step checkpoints.
const overhead = (finalOnlyBest / ckptBest - 1) * 100;
console.log(`backend ${backend}: engine/plain ${(engineBest / plainBest).toFixed(3)}, checkpoint overhead ${overhead.toFixed(1)}%`);
console.log(
  JSON.stringify({
    bench: 'train',
    backend,
    plain_steps_per_s: Number(plainBest.toFixed(2)),
    engine_steps_per_s: Number(engineBest.toFixed(2)),
    ratio: Number((engineBest / plainBest).toFixed(3)),
    checkpoint_overhead_pct: Number(overhead.toFixed(2)),
    train_checkpoint_every_50_steps_per_s: Number(ckptBest.toFixed(2)),
    train_checkpoint_at_end_steps_per_s: Number(finalOnlyBest.toFixed(2)),
    steps,
  }),
);
