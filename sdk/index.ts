// Veritrain SDK: the protocol core shared by submitters, solvers and verifiers (`veritrain`).
// The areas are also entries of their own (package.json `exports`): veritrain/chain, /dispute,
// /storage, /p2p, /submitter, /daemon. The fraud models and the example spec, for tests and demos
// only, are in veritrain/testing (sdk/testing/index.ts), not here.
export * from './errors.ts';
export * from './commit/sha256.ts';
export * from './commit/merkle.ts';
export * from './commit/tensor.ts';
export * from './commit/state.ts';
export * from './commit/root-hasher.ts';
export * from './commit/codec.ts';
export * from './commit/dataset.ts';
export * from './spec/job-spec.ts';
export * from './spec/model.ts';
export * from './spec/schedule.ts';
export * from './data/mnist.ts';
export * from './data/records.ts';
export * from './log.ts';
export * from './storage/index.ts';
export * from './p2p/index.ts';
export * from './graph/graph.ts';
export * from './graph/init.ts';
export * from './graph/relayout.ts';
export * from './tolerance/exact.ts';
export * from './tolerance/reference.ts';
export * from './tolerance/vector.ts';
export * from './engine/backend.ts';
export * from './engine/batch.ts';
export * from './engine/executor.ts';
export * from './tolerance/reads.ts';
export * from './graph/complete.ts';
export * from './engine/checkpoints.ts';
export * from './engine/trainer.ts';
export * from './engine/evaluate.ts';
export * from './dispute/index.ts';
export * from './chain/index.ts';
export * from './submitter/index.ts';
export * from './daemon/index.ts';
export * from './fs.ts';
