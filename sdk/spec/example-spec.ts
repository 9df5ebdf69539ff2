import type { JobSpecInput } from './job-spec.ts';

/** A complete, valid spec: an MNIST-sized MLP. Used by the docs, the protocol vectors and tests. */
export const exampleSpec = (): JobSpecInput => ({
  version: 1,
  model: { layers: [784, 128, 10], activation: 'relu', loss: 'softmax-xent', initSeed: `0x${'11'.repeat(32)}` },
  optimizer: { kind: 'sgd-momentum', learningRate: 0.05, momentum: 0.9 },
  training: { steps: 1000, checkpointInterval: 50, batchSize: 64 },
  data: {
    root: `0x${'22'.repeat(32)}`,
    cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
    recordCount: 10_000,
    featureEncoding: 'u8-unit',
    labelEncoding: 'class-u8',
    seed: `0x${'33'.repeat(32)}`,
  },
  dtype: 'fp32',
  graphRoot: `0x${'44'.repeat(32)}`,
});
