// Honest training on every tfjs backend (cpu, wasm, webgpu), judged by the tolerance rule
// (docs/PROTOCOL.md §4): every element of every op of every step is within its bound on each
// backend, although the backends disagree in the bits; every op kind on random and adversarial
// inputs stays within its bound; and every output moved just past its bound is rejected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as tfjs from '@tensorflow/tfjs';
import {
  buildGraph,
  checkElement,
  checkOutput,
  elementReads,
  executeStepTraced,
  fp32Bits,
  fp32FromBits,
  initialState,
  loadBatch,
  loadMnist,
  OP_KIND_NAMES,
  OpKind,
  opForStep,
  opInputs,
  completeSpec,
  parseJobSpec,
  stateRoot,
  toTf,
  useBackend,
  type BackendName,
  type Graph,
  type JobSpec,
} from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';
import { measureOpBounds } from '../../sdk/testing/op-bounds.ts';
import { skipFor, webgpuSkip } from './helpers/backends.ts';

const mnist = loadMnist();

function specFor(activation: 'relu' | 'tanh' | 'sigmoid'): JobSpec {
  const input = exampleSpec();
  input.model.activation = activation;
  input.data.recordCount = mnist.count;
  input.training.batchSize = 32;
  return parseJobSpec(input);
}

/**
 * A small spec-v2 CNN with every new op kind: a valid conv, max and average pools, a strided
 * 'same' conv (dilated, padded input gradient), all three activations, and AdamW with warmup
 * and cosine decay (every schedule row of 200 steps).
 */
function cnnSpec(): JobSpec {
  const { graphRoot: _unused, ...input } = exampleSpec();
  return completeSpec({
    ...input,
    version: 2,
    model: {
      input: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters: 4, kernel: 5 },
        { type: 'relu' },
        { type: 'maxpool2d', size: 2 },
        { type: 'conv2d', filters: 6, kernel: 3, stride: 2, padding: 'same' },
        { type: 'tanh' },
        { type: 'avgpool2d', size: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 16 },
        { type: 'sigmoid' },
        { type: 'dense', units: 10 },
      ],
      loss: 'softmax-xent',
      initSeed: input.model.initSeed,
    },
    optimizer: {
      kind: 'adamw',
      learningRate: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      schedule: { kind: 'warmup-cosine', warmupSteps: 20, finalLearningRate: 0.0001 },
    },
    training: { steps: 200, checkpointInterval: 10, batchSize: 4 },
    data: { ...input.data, recordCount: mnist.count },
  });
}

interface RunReport {
  steps: number;
  elements: number;
  violations: number;
  worstRatio: number;
  finalRoot: string;
}

/** Train `steps` steps on `backend`, checking every op output of every step; `onStep` sees each trace. */
async function trainAndCheck(
  backend: BackendName,
  spec: JobSpec,
  graph: Graph,
  steps: number,
  onStep?: (step: number, state: Float32Array[], trace: Float32Array[]) => void,
): Promise<RunReport> {
  const tf = await useBackend(backend);
  let state: tfjs.Tensor[] = toTf(tf, initialState(spec));
  const report: RunReport = { steps, elements: 0, violations: 0, worstRatio: 0, finalRoot: '' };
  for (let step = 0; step < steps; step++) {
    const batch = loadBatch(spec, mnist.records, step);
    const before = await Promise.all(state.map(async (t) => (await t.data()) as Float32Array));
    const { state: next, trace } = await executeStepTraced(tf, graph, state, batch);
    graph.ops.forEach((graphOp, i) => {
      const op = opForStep(graphOp, batch);
      const result = checkOutput(op, opInputs(op, before, trace, batch), trace[i] as Float32Array);
      report.elements += result.elements;
      report.worstRatio = Math.max(report.worstRatio, result.worstRatio);
      for (const v of result.violations) {
        report.violations++;
        assert.fail(`${backend} step ${step} op ${op.name} element ${v}: ${trace[i]?.[v]} breaks its bound`);
      }
    });
    onStep?.(step, before, trace);
    for (const t of state) t.dispose();
    state = next;
  }
  report.finalRoot = stateRoot(await Promise.all(state.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array }))));
  for (const t of state) t.dispose();
  return report;
}

/** fp32 bits `steps` ulps away along the ordered line of floats. */
function stepBits(bits: number, steps: number): number {
  const order = bits >>> 31 ? -(bits & 0x7fffffff) : bits;
  const moved = order + steps;
  return moved < 0 ? (0x80000000 | -moved) >>> 0 : moved;
}

describe('honest training on cpu, wasm and webgpu passes the tolerance rule', () => {
  const spec = specFor('relu');
  const graph = buildGraph(spec);
  const reports = new Map<BackendName, RunReport>();

  for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
    it(`${backend}: 200 steps of the MNIST MLP, every element of every op within its bound`, { skip: skipFor(backend) }, async () => {
      const report = await trainAndCheck(backend, spec, graph, 200);
      reports.set(backend, report);
      assert.equal(report.violations, 0);
      assert.ok(report.elements > 200 * 100_000, `only ${report.elements} elements checked`);
      assert.ok(report.worstRatio <= 1, `worst |y - x| / B = ${report.worstRatio}`);
    });
  }

  it('the backends disagree in the bits, so no hash could compare them', () => {
    const roots = [...reports.values()].map((r) => r.finalRoot);
    assert.ok(roots.length >= 2);
    assert.equal(new Set(roots).size, roots.length, 'every backend ends at its own root');
  });

  for (const backend of ['wasm', 'webgpu'] as const) {
    it(`re-running the same steps on ${backend} reproduces every bit`, { skip: skipFor(backend) }, async () => {
      const a = await trainAndCheck(backend, spec, graph, 5);
      const b = await trainAndCheck(backend, spec, graph, 5);
      assert.equal(a.finalRoot, b.finalRoot);
    });
  }

  it('webgpu with tanh and sigmoid: 30 steps each, every element of every op within its bound', { skip: webgpuSkip }, async () => {
    for (const activation of ['tanh', 'sigmoid'] as const) {
      const s = specFor(activation);
      const report = await trainAndCheck('webgpu', s, buildGraph(s), 30);
      assert.equal(report.violations, 0);
      assert.ok(report.worstRatio <= 1, `${activation}: worst |y - x| / B = ${report.worstRatio}`);
    }
  });
});

describe('honest CNN training (spec v2) on every backend passes the tolerance rule', () => {
  const spec = cnnSpec();
  const graph = buildGraph(spec);
  for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
    it(`${backend}: 200 steps of a conv net with max and average pools and AdamW, every element of every op within its bound`, {
      skip: skipFor(backend),
    }, async () => {
      const report = await trainAndCheck(backend, spec, graph, 200);
      assert.equal(report.violations, 0);
      assert.ok(report.elements > 200 * 100_000, `only ${report.elements} elements checked`);
      assert.ok(report.worstRatio <= 1, `worst |y - x| / B = ${report.worstRatio}`);
    });
  }
});

describe('every op kind on random and adversarial inputs stays within its bound', () => {
  for (const backend of ['cpu', 'wasm', 'webgpu', 'tensorflow'] as const) {
    it(`${backend}: transcendental sweeps over their whole range, long and cancelling reductions, wide exponents`, { skip: skipFor(backend) }, async () => {
      const reports = await measureOpBounds(await useBackend(backend));
      assert.equal(reports.length, 17, 'every op kind but the data loads');
      for (const r of reports) {
        assert.equal(r.violations, 0, `${backend} ${r.kind}: ${r.violations} of ${r.elements} elements out of bounds (worst ${r.worstRatio})`);
        assert.ok(r.worstRatio <= 1);
      }
      const exp = reports.find((r) => r.kind === 'EXP');
      assert.ok(exp !== undefined && exp.elements > 1_000_000);
    });
  }
});

describe('outputs moved just past the bound are rejected', () => {
  const graphs = [...(['relu', 'tanh', 'sigmoid'] as const).map((a) => ({ name: `${a} MLP`, spec: specFor(a) })), { name: 'CNN', spec: cnnSpec() }];
  for (const { name, spec } of graphs) {
    it(`${name} graph: for sampled elements of every op, the last valid neighbour and the first invalid one`, async () => {
      const graph = buildGraph(spec);
      const kindsSeen = new Set<number>();
      let probes = 0;
      await trainAndCheck('wasm', spec, graph, 3, (step, state, trace) => {
        if (step !== 2) return;
        const batch = loadBatch(spec, mnist.records, step);
        graph.ops.forEach((graphOp, i) => {
          const op = opForStep(graphOp, batch);
          if (op.kind === OpKind.LOAD_X || op.kind === OpKind.LOAD_Y) return;
          const out = trace[i] as Float32Array;
          const inputs = opInputs(op, state, trace, batch);
          for (const index of [0, Math.floor(out.length / 2), out.length - 1]) {
            const reads = elementReads(op, inputs, index);
            const honest = fp32Bits(out[index] as number);
            assert.ok(checkElement(op.kind, op.params, reads.a, reads.b, honest, reads.position), `${op.name}[${index}] honest output rejected`);
            for (const direction of [1, -1]) {
              // Walk outward until the exact rule rejects; the float64 screen must agree at the edge.
              let inside = honest;
              let steps = 1;
              while (checkElement(op.kind, op.params, reads.a, reads.b, stepBits(honest, direction * steps), reads.position)) {
                inside = stepBits(honest, direction * steps);
                steps = steps < 64 ? steps + 1 : steps * 2;
                assert.ok(steps < 2 ** 31, `${op.name}: no bound found`);
              }
              const outside = stepBits(inside, direction);
              const lo = checkElement(op.kind, op.params, reads.a, reads.b, outside, reads.position);
              if (lo) continue; // the doubling walk skipped past a narrower edge; the next probe covers it
              // The float64 screen agrees at the edge up to its own error (~2^-29 of B).
              const copy = out.slice();
              copy[index] = fp32FromBits(outside);
              assert.ok(
                checkOutput(op, inputs, copy, { margin: -(2 ** -26) }).violations.includes(index),
                `${op.name}[${index}]: float64 screen missed an invalid output`,
              );
              copy[index] = fp32FromBits(inside);
              assert.ok(
                !checkOutput(op, inputs, copy, { margin: 2 ** -26 }).violations.includes(index),
                `${op.name}[${index}]: float64 screen flagged a valid output`,
              );
              kindsSeen.add(op.kind);
              probes++;
            }
          }
        });
      });
      const expected = graph.ops.filter((o) => o.kind > OpKind.LOAD_Y).map((o) => o.kind);
      for (const kind of expected) assert.ok(kindsSeen.has(kind), `no probe reached ${OP_KIND_NAMES[kind]}`);
      assert.ok(probes > 50);
    });
  }
});

describe('reductions whose partial sums overflow (§4.2 rule 3a)', () => {
  // Rows an f32 dataset can feed a layer: exact results finite (1.3e38, 1e38), partial sums above Ω.
  const rows = [
    [2e38, 2e38, -2.7e38],
    [3e38, 3e38, -3e38, -3e38, 1e38],
    [-3.3e38, -1e38, 2e38, 1e38, 0.5],
  ];
  for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
    it(`${backend}: whatever matmul and sum return (finite, ±Inf or NaN) is valid`, { skip: skipFor(backend) }, async () => {
      const tf = await useBackend(backend);
      const seen = new Set<string>();
      for (const row of rows) {
        const a = Float32Array.from(row);
        // Long rows too: the kernels block the reduction differently past their vector widths.
        for (const repeat of [1, 37]) {
          const long = new Float32Array(a.length * repeat).map((_, i) => a[i % a.length] as number);
          const longBits = new Uint32Array(long.buffer);
          const longOnes = Uint32Array.from(long, () => fp32Bits(1));
          const mm = (await tf.matMul(tf.tensor2d(long, [1, long.length]), tf.ones([long.length, 1])).data())[0] as number;
          const sum = (await tf.sum(tf.tensor1d(long)).data())[0] as number;
          seen.add(Number.isNaN(mm) ? 'NaN' : Number.isFinite(mm) ? 'finite' : 'Inf').add(Number.isNaN(sum) ? 'NaN' : Number.isFinite(sum) ? 'finite' : 'Inf');
          assert.equal(checkElement(OpKind.MATMUL, [], longBits, longOnes, fp32Bits(mm)), true, `matmul of [${row.join(', ')}] x${repeat} = ${mm}`);
          assert.equal(checkElement(OpKind.ROW_SUM, [], longBits, new Uint32Array(0), fp32Bits(sum)), true, `sum of [${row.join(', ')}] x${repeat} = ${sum}`);
        }
      }
      assert.ok(seen.has('Inf') || seen.has('NaN'), `the kernels overflowed somewhere (${[...seen].join(', ')}); the test would prove nothing otherwise`);
    });
  }
});
