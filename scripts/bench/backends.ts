// bench:backends: for every tfjs backend present (cpu, wasm, webgpu; tensorflow when installed),
// how much of its tolerance bound (docs/PROTOCOL.md §4.1) each op kind uses, on random and
// adversarial inputs and over real training steps, and the training speed of the engine's step
// loop against plain tfjs, both waiting for the last step's results.
// Last line: {"bench":"backends",…,"webgpu_worst_ratio":…,"webgpu_ok":true}
import { parseArgs } from 'node:util';
import type * as tfjs from '@tensorflow/tfjs';
import {
  buildGraph,
  checkOutput,
  completeSpec,
  datasetRoot,
  executeStep,
  executeStepTraced,
  initialState,
  loadBatch,
  loadMnist,
  MNIST_RECORD_BYTES,
  OP_KIND_NAMES,
  opInputs,
  toTf,
  useBackend,
  type BackendName,
} from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';
import { measureOpBounds } from '../../sdk/testing/op-bounds.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '200' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:backends -- [--steps N] [--only cpu,wasm,webgpu,tensorflow]

For each backend that initialises here: the worst |y - x| / B per op kind over random and
adversarial inputs (sdk/testing/op-bounds.ts) and over N traced training steps of the MNIST MLP
(relu; tanh and sigmoid for N/4 steps each), every element judged; then steps per second of
784-256-10 at batch 64, the engine's loop and plain tfjs (optimizer.minimize).`);
  process.exit(0);
}
const steps = Number(args.steps);
const wanted = (args.only?.split(',') ?? ['cpu', 'wasm', 'webgpu', 'tensorflow']) as BackendName[];
const mnist = loadMnist();

function specFor(activation: 'relu' | 'tanh' | 'sigmoid', layers: number[], batchSize: number, n: number) {
  const { graphRoot: _unused, ...input } = exampleSpec();
  input.model.activation = activation;
  input.model.layers = layers;
  input.data.recordCount = mnist.count;
  input.data.root = datasetRoot(mnist.records, MNIST_RECORD_BYTES);
  input.training = { steps: n, checkpointInterval: n, batchSize };
  return completeSpec(input);
}

/** Worst ratio per op kind over `n` traced steps, every element of every op judged. */
async function trainingRatios(tf: typeof tfjs, activation: 'relu' | 'tanh' | 'sigmoid', n: number, worst: Map<string, number>): Promise<number> {
  const spec = specFor(activation, [784, 64, 10], 32, n);
  const graph = buildGraph(spec);
  let state = toTf(tf, initialState(spec));
  let violations = 0;
  for (let step = 0; step < n; step++) {
    const batch = loadBatch(spec, mnist.records, step);
    const before = await Promise.all(state.map(async (t) => (await t.data()) as Float32Array));
    const { state: next, trace } = await executeStepTraced(tf, graph, state, batch);
    graph.ops.forEach((op, i) => {
      const r = checkOutput(op, opInputs(op, before, trace, batch), trace[i] as Float32Array, { margin: 0 });
      violations += r.violations.length;
      const name = OP_KIND_NAMES[op.kind];
      worst.set(name, Math.max(worst.get(name) ?? 0, r.worstRatio));
    });
    for (const t of state) t.dispose();
    state = next;
  }
  for (const t of state) t.dispose();
  return violations;
}

/** Steps per second of 784-256-10 at batch 64: the engine's loop and plain tfjs, each waiting for its last step. */
async function speed(tf: typeof tfjs): Promise<{ engine: number; plain: number }> {
  const n = 60;
  const spec = specFor('relu', [784, 256, 10], 64, n);
  const graph = buildGraph(spec);
  const batches = Array.from({ length: n }, (_, j) => loadBatch(spec, mnist.records, j));
  const init = initialState(spec);
  const engine = async (): Promise<number> => {
    let state = toTf(tf, init);
    const run = async (count: number): Promise<number> => {
      const t = performance.now();
      for (let j = 0; j < count; j++) {
        const next = executeStep(tf, graph, state, batches[j % n] as (typeof batches)[number]).state;
        for (const s of state) s.dispose();
        state = next;
      }
      await Promise.all(state.map((s) => s.data()));
      return count / ((performance.now() - t) / 1000);
    };
    await run(10);
    const r = await run(n);
    for (const s of state) s.dispose();
    return r;
  };
  const plain = async (): Promise<number> => {
    const vars = [init[4], init[5], init[6], init[7]].map((t, i) => {
      const d = t as { shape: readonly number[]; data: Float32Array };
      return tf.variable(i % 2 === 0 ? tf.transpose(tf.tensor(d.data, [...d.shape])) : tf.tensor(d.data, [...d.shape]));
    });
    const [w1, b1, w2, b2] = vars as [tfjs.Variable, tfjs.Variable, tfjs.Variable, tfjs.Variable];
    const optimizer = tf.train.momentum(spec.optimizer.learningRate, spec.optimizer.momentum);
    const run = async (count: number): Promise<number> => {
      const t = performance.now();
      for (let j = 0; j < count; j++) {
        const b = batches[j % n] as (typeof batches)[number];
        tf.tidy(() => {
          const x = tf.tensor(b.x, [64, 784]);
          const y = tf.tensor(b.y, [64, 10]);
          optimizer.minimize(() =>
            tf.losses.softmaxCrossEntropy<tfjs.Tensor, tfjs.Scalar>(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)),
          );
        });
      }
      await Promise.all(vars.map((v) => v.data()));
      return count / ((performance.now() - t) / 1000);
    };
    await run(10);
    const r = await run(n);
    for (const v of vars) v.dispose();
    optimizer.dispose();
    return r;
  };
  return { engine: await engine(), plain: await plain() };
}

const summary: Record<string, unknown> = { bench: 'backends', steps };
for (const backend of wanted) {
  let tf: typeof tfjs;
  try {
    tf = await useBackend(backend);
  } catch (err) {
    console.log(`${backend}: not available (${(err as Error).message})`);
    summary[`${backend}_present`] = false;
    continue;
  }
  const t0 = performance.now();
  const random = await measureOpBounds(tf);
  const training = new Map<string, number>();
  let violations = random.reduce((n, r) => n + r.violations, 0);
  violations += await trainingRatios(tf, 'relu', steps, training);
  for (const activation of ['tanh', 'sigmoid'] as const) violations += await trainingRatios(tf, activation, Math.max(1, Math.floor(steps / 4)), training);
  console.log(`\n${backend}: worst |y - x| / B per op kind (random and adversarial inputs | ${steps} training steps)`);
  let worst = 0;
  for (const r of random) {
    const trained = training.get(r.kind);
    worst = Math.max(worst, r.worstRatio, trained ?? 0);
    console.log(
      `  ${r.kind.padEnd(13)} ${r.worstRatio.toFixed(4).padStart(8)} | ${trained === undefined ? '       -' : trained.toFixed(4).padStart(8)}   (${r.elements} random elements)`,
    );
  }
  const { engine, plain } = await speed(tf);
  console.log(
    `  violations ${violations}; worst ratio ${worst.toFixed(6)}; 784-256-10 batch 64: engine ${engine.toFixed(1)} steps/s, plain tfjs ${plain.toFixed(1)} steps/s (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  Object.assign(summary, {
    [`${backend}_present`]: true,
    [`${backend}_worst_ratio`]: Number(worst.toFixed(6)),
    [`${backend}_violations`]: violations,
    [`${backend}_steps_per_s`]: Number(engine.toFixed(1)),
    [`${backend}_plain_steps_per_s`]: Number(plain.toFixed(1)),
    [`${backend}_ok`]: violations === 0 && worst <= 1,
  });
}
console.log(JSON.stringify(summary));
