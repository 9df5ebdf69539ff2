/**
 * Trains a job with the canonical graph: k fast steps per interval, then a checkpoint whose state
 * root is computed on worker threads while the next interval trains. Resumes from the last
 * checkpoint it finds, so a killed run continues with identical roots.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Hex } from 'viem';
import { encodeState } from '../commit/codec.ts';
import type { RootHasher } from '../commit/root-hasher.ts';
import { stateRoot } from '../commit/state.ts';
import type { Tensor } from '../commit/tensor.ts';
import { VeritrainError } from '../errors.ts';
import { assertSpecRoots } from '../graph/complete.ts';
import { buildGraph, type Graph } from '../graph/graph.ts';
import { initialState } from '../graph/init.ts';
import type { Logger } from '../log.ts';
import type { JobSpec } from '../spec/job-spec.ts';
import { useBackend, type BackendName } from './backend.ts';
import { loadBatch } from './batch.ts';
import type { CheckpointStore } from './checkpoints.ts';
import { executeStep, executeStepTraced, fromTf, toTf } from './executor.ts';

export interface TrainProgress {
  readonly step: number;
  readonly steps: number;
  readonly stepsPerSecond: number;
}

export interface TrainOptions {
  readonly spec: JobSpec;
  /** The dataset records, already verified against spec.data.root. */
  readonly records: Uint8Array;
  readonly backend: BackendName;
  readonly store: CheckpointStore;
  readonly hasher: RootHasher;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Called after each checkpoint is stored (e.g. to upload and commit it). */
  readonly onCheckpoint?: (c: { index: number; root: Hex; file: Uint8Array }) => Promise<void>;
  /** Self-check (regenerate one step with the traced path) every this many intervals; 0 disables. */
  readonly selfCheckEvery?: number;
}

export interface TrainResult {
  readonly backend: BackendName;
  /** Root of checkpoint i at index i, 0..N/k. */
  readonly roots: readonly Hex[];
  readonly finalState: Tensor[];
  readonly resumedFrom: number;
}

/** Thrown when a step regenerated with the traced path differs in any bit from the fast path. */
export class DeterminismError extends VeritrainError {
  override name = 'DeterminismError';
}

function sameBits(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i] as Float32Array;
      return Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
    })
  );
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { spec, records, store, hasher, log } = options;
  assertSpecRoots(spec);
  const graph: Graph = buildGraph(spec);
  const tf = await useBackend(options.backend);
  const k = spec.training.checkpointInterval;
  const intervals = spec.training.steps / k;
  const roots: Hex[] = [];

  const latest = await store.latest();
  let startIndex = 0;
  let startState: Tensor[];
  if (latest === undefined) {
    startState = initialState(spec);
    const root = stateRoot(startState);
    await saveCheckpoint(0, startState, root);
  } else {
    startIndex = latest.index;
    startState = latest.state;
    log.info('resuming from checkpoint', { index: latest.index, step: latest.index * k, root: latest.root });
  }
  for (let i = 0; i <= startIndex; i++) roots.push((await store.root(i)) as Hex);

  async function saveCheckpoint(index: number, state: Tensor[], root: Hex): Promise<void> {
    const file = encodeState(state);
    await store.save(index, file, root, { backend: options.backend });
    roots[index] = root;
    log.info('checkpoint stored', { index, step: index * k, root, backend: options.backend, bytes: file.length });
    await options.onCheckpoint?.({ index, root, file });
  }

  let state: tfjs.Tensor[] = toTf(tf, startState);
  let last: Tensor[] = startState;
  let pending: Promise<void> = Promise.resolve();
  const started = performance.now();
  let stepsDone = 0;
  try {
    for (let interval = startIndex; interval < intervals; interval++) {
      const selfCheck = (options.selfCheckEvery ?? 10) > 0 && interval % (options.selfCheckEvery ?? 10) === 0;
      const intervalStart = selfCheck ? await readAll(state) : undefined;
      let afterFirst: Float32Array[] | undefined;
      for (let j = 0; j < k; j++) {
        options.signal?.throwIfAborted();
        const step = interval * k + j;
        const { state: next } = executeStep(tf, graph, state, loadBatch(spec, records, step));
        for (const t of state) t.dispose();
        state = next;
        if (j === 0 && intervalStart !== undefined) afterFirst = await readAll(state);
        stepsDone++;
        // Yield so the previous checkpoint's hashing and writing progress while this interval trains.
        await new Promise(setImmediate);
        options.onProgress?.({ step: step + 1, steps: spec.training.steps, stepsPerSecond: stepsDone / ((performance.now() - started) / 1000) });
      }
      if (intervalStart !== undefined && afterFirst !== undefined) await selfCheckStep(tf, graph, spec, records, interval * k, intervalStart, afterFirst);
      // Hash and store off the training path: the next interval trains meanwhile.
      const snapshot = await snapshotShared(state);
      last = snapshot;
      await pending;
      const index = interval + 1;
      pending = hasher.stateRoot(snapshot).then((root) => saveCheckpoint(index, snapshot, root));
    }
    await pending;
  } finally {
    for (const t of state) t.dispose();
  }
  return { backend: options.backend, roots, finalState: last, resumedFrom: startIndex };
}

/** Copy a tfjs state into one SharedArrayBuffer so workers hash it without another copy. */
async function snapshotShared(state: readonly tfjs.Tensor[]): Promise<Tensor[]> {
  const tensors = await fromTf(state);
  const total = tensors.reduce((n, t) => n + t.data.length, 0);
  const shared = new Float32Array(new SharedArrayBuffer(total * 4));
  let off = 0;
  return tensors.map((t) => {
    const data = shared.subarray(off, off + t.data.length);
    data.set(t.data);
    off += t.data.length;
    return { shape: t.shape, data };
  });
}

/** Copies of a tfjs state's values, read asynchronously (every backend supports it). */
async function readAll(state: readonly tfjs.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(state.map(async (t) => ((await t.data()) as Float32Array).slice()));
}

/** Regenerate `step` with the traced, op-by-op path and require identical bits (§3). */
async function selfCheckStep(
  tf: typeof tfjs,
  graph: Graph,
  spec: JobSpec,
  records: Uint8Array,
  step: number,
  before: Float32Array[],
  after: Float32Array[],
): Promise<void> {
  const input = before.map((d, i) => tf.tensor(d, [...(graph.state[i]?.shape ?? [])]));
  const { state } = await executeStepTraced(tf, graph, input, loadBatch(spec, records, step));
  const regenerated = await readAll(state);
  for (const t of [...input, ...state]) t.dispose();
  if (!sameBits(regenerated, after)) {
    throw new DeterminismError(
      'PLATFORM_UNSUPPORTED',
      `step ${step} did not regenerate bit-exactly on this backend; checkpoints from it could not be defended`,
      { details: { step } },
    );
  }
}
