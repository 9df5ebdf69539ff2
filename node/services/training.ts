/**
 * Trains a job in its workspace and stores every checkpoint atomically. Honest training is the
 * SDK's train() (fast path, hashing off the training thread, periodic self-check). A workspace
 * with an injected transition trains with it through the same trajectory code that serves and
 * defends, so what it commits is what it serves. Both resume from the last stored checkpoint.
 */
import type { Hex } from 'viem';
import {
  createTrajectory,
  encodeState,
  initialState,
  stateRoot,
  train,
  type BackendName,
  type Logger,
  type RootHasher,
  type TrainProgress,
} from '../../sdk/index.ts';
import type { JobWorkspace } from './workspace.ts';

export interface TrainJobOptions {
  readonly backend: BackendName;
  readonly hasher: RootHasher;
  readonly log: Logger;
  readonly selfCheckEvery: number;
  readonly signal: AbortSignal;
  readonly onProgress: (p: TrainProgress) => void;
  /** Called in index order for each checkpoint stored by this run. */
  readonly onCheckpoint: (c: { index: number; root: Hex; file: Uint8Array }) => Promise<void>;
}

export async function trainJob(ws: JobWorkspace, options: TrainJobOptions): Promise<void> {
  if (ws.transition === undefined) {
    await train({
      spec: ws.spec,
      records: ws.records,
      backend: options.backend,
      store: ws.checkpoints,
      hasher: options.hasher,
      log: options.log,
      signal: options.signal,
      selfCheckEvery: options.selfCheckEvery,
      onProgress: options.onProgress,
      onCheckpoint: options.onCheckpoint,
    });
    return;
  }
  const tf = await ws.tf();
  const latest = await ws.checkpoints.latest();
  let index = latest?.index ?? 0;
  let state = latest?.state ?? initialState(ws.spec);
  const save = async (i: number, tensors: typeof state): Promise<void> => {
    const file = encodeState(tensors);
    const root = stateRoot(tensors);
    await ws.checkpoints.save(i, file, root, { backend: options.backend, transition: 'injected' });
    await options.onCheckpoint({ index: i, root, file });
  };
  if (latest === undefined) await save(0, state);
  const started = performance.now();
  let done = 0;
  for (; index < ws.lastIndex; index++) {
    options.signal.throwIfAborted();
    const start = index * ws.k;
    const t = createTrajectory({
      tf,
      graph: ws.graph,
      spec: ws.spec,
      records: ws.records,
      start,
      end: start + ws.k,
      startState: state,
      transition: ws.transition,
    });
    for (let s = start + 1; s <= start + ws.k; s++) {
      state = await t.stateAt(s);
      done++;
      options.onProgress({ step: s, steps: ws.spec.training.steps, stepsPerSecond: done / ((performance.now() - started) / 1000) });
      await new Promise(setImmediate);
    }
    await save(index + 1, state);
  }
}
