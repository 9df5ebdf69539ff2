// The graph of a spec-v2 model computes what tfjs's own layers and autodiff compute: forward
// activations and every parameter gradient of a CNN step agree with tf.conv2d / tf.maxPool /
// tf.avgPool and tf.grads, so the PATCHES spelling of convolutions and pools is the real thing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../engine/backend.ts';
import { executeStepTraced, toTf } from '../engine/executor.ts';
import type { JobSpecV2Input } from '../spec/job-spec.ts';
import { exampleSpec } from '../testing/index.ts';
import { completeSpec } from './complete.ts';
import { buildGraph, OpKind } from './graph.ts';
import { initialState } from './init.ts';

function cnn(layers: JobSpecV2Input['model']['layers'], input: number[], batchSize: number) {
  const { graphRoot: _unused, ...base } = exampleSpec();
  return completeSpec({
    ...base,
    version: 2,
    model: { input, layers, loss: 'softmax-xent', initSeed: base.model.initSeed },
    training: { ...base.training, batchSize },
  });
}

/** Max |a - b| / (1 + |b|) over two arrays. */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(b[i] as number)));
  return worst;
}

describe('spec-v2 graphs agree with tfjs layers and autodiff', () => {
  const cases: { name: string; layers: JobSpecV2Input['model']['layers']; input: number[] }[] = [
    {
      name: 'valid conv, max pool, strided same conv, avg pool, dense',
      layers: [
        { type: 'conv2d', filters: 3, kernel: 3 },
        { type: 'relu' },
        { type: 'maxpool2d', size: 2 },
        { type: 'conv2d', filters: 4, kernel: [3, 2], stride: 2, padding: 'same' },
        { type: 'tanh' },
        { type: 'avgpool2d', size: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 5 },
      ],
      input: [13, 11, 2],
    },
    {
      name: 'two stacked convs with an odd leftover row for the pool',
      layers: [
        { type: 'conv2d', filters: 2, kernel: 2 },
        { type: 'sigmoid' },
        { type: 'conv2d', filters: 3, kernel: 3, padding: 'same' },
        { type: 'maxpool2d', size: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 4 },
      ],
      input: [8, 8, 1],
    },
    {
      name: 'an image MLP: a leading flatten, then dense layers',
      layers: [{ type: 'flatten' }, { type: 'dense', units: 7 }, { type: 'relu' }, { type: 'dense', units: 4 }],
      input: [6, 5, 1],
    },
    {
      name: 'a leading pool and activation before the first conv (no gradient flows into them)',
      layers: [{ type: 'avgpool2d', size: 2 }, { type: 'tanh' }, { type: 'conv2d', filters: 3, kernel: 2 }, { type: 'flatten' }, { type: 'dense', units: 4 }],
      input: [8, 8, 2],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      await useBackend('cpu');
      const B = 3;
      const spec = cnn(c.layers, c.input, B);
      const graph = buildGraph(spec);
      const state = initialState(spec);
      const features = c.input.reduce((a, b) => a * b, 1);
      const classes = graph.ops[1]?.shape[1] as number;
      const x = Float32Array.from({ length: B * features }, (_, i) => ((i * 7919) % 255) / 255);
      const y = new Float32Array(B * classes);
      for (let b = 0; b < B; b++) y[b * classes + (b % classes)] = 1;
      const { trace } = await executeStepTraced(tf, graph, toTf(tf, state), { indices: [], x, y });

      // The same model in plain tfjs: kernels [KH, KW, C, F] from Wt [F, KH·KW·C], autodiff for the gradients.
      const P = state.length / 2;
      const params = state.slice(P);
      const vars = params.map((t) => tf.tensor(t.data, [...t.shape]));
      const logitsOf = (ws: tf.Tensor[]): tf.Tensor => {
        let h: tf.Tensor = tf.tensor(x, [B, ...c.input]);
        let tag = 0;
        for (const layer of c.layers) {
          if (layer.type === 'dense' || layer.type === 'conv2d') {
            const w = ws[2 * tag] as tf.Tensor;
            const bias = ws[2 * tag + 1] as tf.Tensor;
            tag++;
            if (layer.type === 'dense') h = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, true), bias);
            else {
              const k = typeof layer.kernel === 'number' ? [layer.kernel, layer.kernel] : layer.kernel;
              const cin = h.shape[3] as number;
              const kernel = tf.transpose<tf.Tensor4D>(tf.reshape(w, [layer.filters, k[0] as number, k[1] as number, cin]), [1, 2, 3, 0]);
              h = tf.add(tf.conv2d(h as tf.Tensor4D, kernel, layer.stride ?? 1, layer.padding ?? 'valid'), bias);
            }
          } else if (layer.type === 'maxpool2d') h = tf.maxPool(h as tf.Tensor4D, layer.size, layer.size, 'valid');
          else if (layer.type === 'avgpool2d') h = tf.avgPool(h as tf.Tensor4D, layer.size, layer.size, 'valid');
          else if (layer.type === 'flatten') h = tf.reshape(h, [B, -1]);
          else h = layer.type === 'relu' ? tf.relu(h) : layer.type === 'tanh' ? tf.tanh(h) : tf.sigmoid(h);
        }
        return h;
      };
      const loss = (...ws: tf.Tensor[]): tf.Scalar => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(tf.tensor(y, [B, classes]), logitsOf(ws));
      const expectedGrads = tf.grads(loss)(vars);

      const logits = trace[graph.logits] as Float32Array;
      assert.ok(maxRelDiff(logits, logitsOf(vars).dataSync()) < 1e-5, 'logits differ from tfjs layers');
      // The gradients are the inputs of the velocity updates (SGD_VELOCITY reads v, g).
      const velocityOps = graph.ops.map((op, i) => ({ op, i })).filter(({ op }) => op.kind === OpKind.SGD_VELOCITY);
      assert.equal(velocityOps.length, P);
      velocityOps.forEach(({ op }, p) => {
        const g = op.inputs[1];
        assert.ok(g);
        const ours = trace[g.index];
        assert.ok(ours && g.space === 1);
        const diff = maxRelDiff(ours, (expectedGrads[p] as tf.Tensor).dataSync());
        assert.ok(diff < 1e-5, `gradient of ${graph.state[P + p]?.name} differs by ${diff}`);
      });
      // A conv's input gradient (PATCHES of the gradient, PERMUTE of the filters) exists only after another conv.
      if (c.layers.filter((l) => l.type === 'conv2d').length >= 2)
        assert.ok(graph.ops.some((op) => op.kind === OpKind.PATCHES) && graph.ops.some((op) => op.kind === OpKind.PERMUTE));
      // Nothing is computed for the layers before the first parameter layer: the backward pass ends at its weight gradient.
      const gradOps = graph.ops.filter((op) => op.name.includes('.grad'));
      assert.equal(gradOps.at(-1)?.name, 'layer1.grad.w', gradOps.map((o) => o.name).join(','));
    });
  }

  it('a v1 MLP and the same dense layers as a v2 plan have one graph', () => {
    const { graphRoot: _unused, ...v1 } = exampleSpec();
    const a = buildGraph(completeSpec(v1));
    const b = buildGraph(
      completeSpec({
        ...v1,
        version: 2,
        model: {
          input: [784],
          layers: [{ type: 'dense', units: 128 }, { type: 'relu' }, { type: 'dense', units: 10 }],
          loss: 'softmax-xent',
          initSeed: v1.model.initSeed,
        },
      }),
    );
    assert.equal(a.root, b.root);
  });
});
