// veritrain/testing: for tests and demos only, not for a real job. The fraud models a cheating
// solver plays (the demo mode of the solver, the end-to-end tests) and the example job spec.
export * from '../dispute/frauds.ts';
export * from '../spec/example-spec.ts';
export * from './long-reduction.ts';
