import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMnist, MNIST_PIXELS, MNIST_RECORD_BYTES } from '../data/mnist.ts';
import { useBackend } from '../engine/backend.ts';
import { executeForward, toTf } from '../engine/executor.ts';
import { completeSpec } from '../graph/complete.ts';
import { buildGraph } from '../graph/graph.ts';
import { initialState } from '../graph/init.ts';
import { exampleSpec } from '../testing/index.ts';
import { stateToLayersModel } from './model.ts';

describe('stateToLayersModel', () => {
  it("an AdamW CNN's exported model predicts what the canonical graph computes (parameters after both moment sets)", async () => {
    const { graphRoot: _unused, ...input } = exampleSpec();
    const spec = completeSpec({
      ...input,
      version: 2,
      model: {
        input: [28, 28, 1],
        layers: [
          { type: 'conv2d', filters: 3, kernel: 5, padding: 'same' },
          { type: 'relu' },
          { type: 'maxpool2d', size: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 10 },
        ],
        loss: 'softmax-xent',
        initSeed: input.model.initSeed,
      },
      optimizer: {
        kind: 'adamw',
        learningRate: 0.001,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weightDecay: 0,
        schedule: { kind: 'constant', warmupSteps: 0, finalLearningRate: 0.001 },
      },
    });
    // Moment slots that are not zero: an export reading them as parameters would predict other logits.
    const state = initialState(spec).map((t, i, all) => (i < (2 * all.length) / 3 ? { shape: t.shape, data: t.data.map(() => 0.5) } : t));
    const n = 8;
    const records = loadMnist().records.subarray(0, n * MNIST_RECORD_BYTES);
    const x = Float32Array.from(
      { length: n * MNIST_PIXELS },
      (_, i) => (records[Math.floor(i / MNIST_PIXELS) * MNIST_RECORD_BYTES + (i % MNIST_PIXELS)] as number) / 255,
    );
    const tf = await useBackend('cpu');
    const params = toTf(tf, state);
    const graph = buildGraph({ ...spec, training: { ...spec.training, batchSize: n } });
    const expected = (await executeForward(tf, graph, params, x).data()) as Float32Array;
    for (const p of params) p.dispose();
    const model = stateToLayersModel(tf, spec, state);
    const out = model.predict(tf.tensor(x, [n, 28, 28, 1]));
    const got = (await (Array.isArray(out) ? (out[0] as (typeof out)[0]) : out).data()) as Float32Array;
    model.dispose();
    // The export ends in softmax; compare probabilities.
    for (let r = 0; r < n; r++) {
      const row = Array.from(expected.subarray(10 * r, 10 * r + 10));
      const max = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - max), 0);
      row.forEach((v, c) => {
        assert.ok(Math.abs(Math.exp(v - max) / z - (got[10 * r + c] as number)) < 1e-5, `record ${r} class ${c}`);
      });
    }
  });
});
