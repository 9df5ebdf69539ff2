// bench:train: the canonical-graph engine against ordinary tfjs training of the same model, and
// the cost of checkpointing every 50 steps, all on one backend in one process.
// Last line: {"bench":"train","backend":…,"plain_steps_per_s":…,"engine_steps_per_s":…,"ratio":…,"checkpoint_overhead_pct":…,"cnn_ratio":…}
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
    'cnn-steps': { type: 'string', default: '200' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:train -- [--backend ${BACKENDS.join('|')}] [--steps N] [--cnn-steps N]

Trains the MNIST MLP 784-128-10 (batch 64, SGD with momentum) on one backend: plain tfjs
(optimizer.minimize) against the canonical-graph engine's step loop (ratio), and whole train()
runs checkpointing every 50 steps against only at the end (checkpoint overhead: state root on a
worker thread, atomic fsynced files, the bit-exact self-check every 10th interval).
Then a LeNet-style CNN (spec v2, batch 4: the fan-in cap) the same two ways: the engine's
PATCHES + matMul graph against a hand-written tfjs step (tf.conv2d, tf.maxPool, dense layers,
autodiff gradients, the momentum update written out), as cnn_ratio.`);
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
// ---- LeNet-style CNN (spec v2) ----
const cnnSteps = Number(args['cnn-steps']);
if (!Number.isInteger(cnnSteps) || cnnSteps < 1) throw new Error('--cnn-steps must be a positive integer');
const CNN_BATCH = 4;
const cnnSpec = completeSpec({
  ...input,
  version: 2,
  model: {
    input: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 6, kernel: 5, padding: 'same' },
      { type: 'relu' },
      { type: 'maxpool2d', size: 2 },
      { type: 'conv2d', filters: 16, kernel: 5 },
      { type: 'relu' },
      { type: 'maxpool2d', size: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 120 },
      { type: 'relu' },
      { type: 'dense', units: 84 },
      { type: 'relu' },
      { type: 'dense', units: 10 },
    ],
    loss: 'softmax-xent',
    initSeed: input.model.initSeed,
  },
  training: { steps: cnnSteps, checkpointInterval: cnnSteps, batchSize: CNN_BATCH },
});
const cnnGraph = buildGraph(cnnSpec);
const cnnBatches = Array.from({ length: cnnSteps }, (_, j) => loadBatch(cnnSpec, mnist.records, j));
const cnnInit = initialState(cnnSpec);

function cnnEngine(): number {
  let state = toTf(tf, cnnInit);
  const step = (j: number): void => {
    const next = executeStep(tf, cnnGraph, state, cnnBatches[j % cnnSteps] as (typeof cnnBatches)[number]).state;
    for (const t of state) t.dispose();
    state = next;
  };
  for (let j = 0; j < 10; j++) step(j);
  const t = performance.now();
  for (let j = 0; j < cnnSteps; j++) step(j);
  const s = (performance.now() - t) / 1000;
  for (const x of state) x.dispose();
  return cnnSteps / s;
}

function cnnPlain(): number {
  // Kernels [KH, KW, C, F] and dense [in, out], from the same initial state.
  const P = cnnInit.length / 2;
  const vars = cnnInit.slice(P).map((t, i) => {
    const w = tf.tensor(t.data, [...t.shape]);
    if (t.shape.length === 1) return tf.variable(w);
    const conv = i === 0 ? [6, 5, 5, 1] : i === 2 ? [16, 5, 5, 6] : undefined;
    return tf.variable(conv === undefined ? tf.transpose(w) : tf.transpose(tf.reshape(w, conv), [1, 2, 3, 0]));
  });
  const velocity = vars.map((v) => tf.variable(tf.zerosLike(v)));
  const [mu, eta] = [cnnSpec.optimizer.kind === 'sgd-momentum' ? cnnSpec.optimizer.momentum : 0, cnnSpec.optimizer.learningRate];
  const run = (j: number): void => {
    const b = cnnBatches[j % cnnSteps] as (typeof cnnBatches)[number];
    tf.tidy(() => {
      const x = tf.tensor4d(b.x, [CNN_BATCH, 28, 28, 1]);
      const y = tf.tensor(b.y, [CNN_BATCH, 10]);
      const [k1, c1, k2, c2, w3, d3, w4, d4, w5, d5] = vars as unknown as [
        tfjs.Tensor4D,
        tfjs.Tensor,
        tfjs.Tensor4D,
        tfjs.Tensor,
        tfjs.Tensor2D,
        tfjs.Tensor,
        tfjs.Tensor2D,
        tfjs.Tensor,
        tfjs.Tensor2D,
        tfjs.Tensor,
      ];
      const { grads } = tf.variableGrads(() => {
        let h = tf.maxPool(tf.relu(tf.add<tfjs.Tensor4D>(tf.conv2d(x, k1, 1, 'same'), c1)), 2, 2, 'valid');
        h = tf.maxPool(tf.relu(tf.add<tfjs.Tensor4D>(tf.conv2d(h, k2, 1, 'valid'), c2)), 2, 2, 'valid');
        const f: tfjs.Tensor2D = tf.reshape(h, [CNN_BATCH, -1]);
        const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(f, w3), d3)) as tfjs.Tensor2D, w4), d4)) as tfjs.Tensor2D, w5), d5);
        return tf.losses.softmaxCrossEntropy<tfjs.Tensor, tfjs.Scalar>(y, logits);
      }, vars);
      vars.forEach((v, i) => {
        const g = grads[v.name] as tfjs.Tensor;
        const vel = velocity[i] as tfjs.Variable;
        vel.assign(tf.add(tf.mul(vel, mu), g));
        v.assign(tf.sub(v, tf.mul(vel, eta)));
      });
    });
  };
  for (let j = 0; j < 10; j++) run(j);
  const t = performance.now();
  for (let j = 0; j < cnnSteps; j++) run(j);
  const s = (performance.now() - t) / 1000;
  for (const v of [...vars, ...velocity]) v.dispose();
  return cnnSteps / s;
}

// The side-by-side pair runs on cpu: tfjs-wasm has no Conv2DBackpropFilter kernel, so plain tfjs
// cannot train a conv net there at all (the engine can: its weight gradient is a matMul).
const cnnEngineOnBackend = backend === 'cpu' ? undefined : cnnEngine();
await useBackend('cpu');
let cnnPlainBest = 0;
let cnnEngineBest = 0;
for (let round = 0; round < 3; round++) {
  cnnPlainBest = Math.max(cnnPlainBest, cnnPlain());
  cnnEngineBest = Math.max(cnnEngineBest, cnnEngine());
  console.log(`CNN on cpu, round ${round + 1}: plain ${cnnPlainBest.toFixed(1)} steps/s, engine ${cnnEngineBest.toFixed(1)}`);
}
if (cnnEngineOnBackend !== undefined) console.log(`CNN engine on ${backend}: ${cnnEngineOnBackend.toFixed(1)} steps/s (plain tfjs cannot train it there)`);

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
    cnn_plain_steps_per_s: Number(cnnPlainBest.toFixed(2)),
    cnn_engine_steps_per_s: Number(cnnEngineBest.toFixed(2)),
    cnn_ratio: Number((cnnEngineBest / cnnPlainBest).toFixed(3)),
    cnn_backend: 'cpu',
    ...(cnnEngineOnBackend === undefined ? {} : { [`cnn_engine_${backend}_steps_per_s`]: Number(cnnEngineOnBackend.toFixed(2)) }),
    cnn_steps: cnnSteps,
  }),
);
