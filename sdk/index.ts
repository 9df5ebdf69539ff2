// Veritrain SDK: the protocol core shared by submitters, solvers and verifiers.
export * from './errors.ts';
export * from './commit/sha256.ts';
export * from './commit/merkle.ts';
export * from './commit/tensor.ts';
export * from './commit/state.ts';
export * from './commit/root-hasher.ts';
export * from './commit/codec.ts';
export * from './commit/dataset.ts';
export * from './spec/job-spec.ts';
export * from './spec/example-spec.ts';
export * from './data/mnist.ts';
