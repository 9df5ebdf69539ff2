/**
 * The screen (docs/PROTOCOL.md §7): re-execute a sampled interval from the solver's checkpoint i on
 * the verifier's own backend and compare the result with the solver's checkpoint i + 1.
 *
 * Different backends give different bits, so the comparison has a tolerance: the distance of two
 * states is the largest per-tensor deviation max|a - b| / max(max|a|, max|b|). Honest runs on
 * different backends drift a little over k steps (measured on the MNIST MLP, cpu against wasm:
 * ~3e-7 at k = 8, ~1.5e-6 at k = 100); every fraud kind of sdk/dispute/frauds.ts lands at 2e-2 or
 * more even when it touches one step of the interval. The default threshold 1e-4 sits two orders of
 * magnitude from both. The screen only decides where to look: nothing is challenged on its word;
 * a flagged interval is judged element by element with the exact rule (./exact.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor } from '../../sdk/commit/tensor.ts';
import { loadBatch } from '../../sdk/engine/batch.ts';
import { executeStep, fromTf, toTf } from '../../sdk/engine/executor.ts';
import type { Graph } from '../../sdk/graph/graph.ts';
import type { JobSpec } from '../../sdk/spec/job-spec.ts';

/** Default screen threshold on `stateDistance` (see the measurements above). */
export const DEFAULT_SCREEN_THRESHOLD = 1e-4;

export interface StateDistance {
  /** Largest per-tensor relative deviation; Infinity when shapes differ or only one side is finite. */
  readonly distance: number;
  /** The tensor (state order) and element where it occurs. */
  readonly tensor: number;
  readonly element: number;
}

/** max over tensors of max|a - b| / max(max|a|, max|b|); NaN or Inf on one side only is Infinity. */
export function stateDistance(ours: readonly Tensor[], theirs: readonly Tensor[]): StateDistance {
  if (ours.length !== theirs.length) return { distance: Infinity, tensor: Math.min(ours.length, theirs.length), element: 0 };
  let worst: StateDistance = { distance: 0, tensor: 0, element: 0 };
  for (const [t, a] of ours.entries()) {
    const b = theirs[t] as Tensor;
    if (a.data.length !== b.data.length || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      return { distance: Infinity, tensor: t, element: 0 };
    }
    let scale = 0;
    let diff = 0;
    let at = 0;
    for (let e = 0; e < a.data.length; e++) {
      const x = a.data[e] as number;
      const y = b.data[e] as number;
      if (Number.isFinite(x) !== Number.isFinite(y)) return { distance: Infinity, tensor: t, element: e };
      if (!Number.isFinite(x)) continue; // both non-finite: nothing the screen can say
      const ax = Math.abs(x);
      const ay = Math.abs(y);
      if (ax > scale) scale = ax;
      if (ay > scale) scale = ay;
      const d = Math.abs(x - y);
      if (d > diff) {
        diff = d;
        at = e;
      }
    }
    const distance = diff === 0 ? 0 : diff / scale;
    if (distance > worst.distance) worst = { distance, tensor: t, element: at };
  }
  return worst;
}

export type ScreenVerdict = 'pass' | 'flag';

/** Flag when the distance exceeds the threshold (or is not a number). */
export function screenVerdict(distance: number, threshold: number): ScreenVerdict {
  return distance <= threshold ? 'pass' : 'flag';
}

export interface ReexecuteParameters {
  readonly tf: typeof tfjs;
  readonly graph: Graph;
  readonly spec: JobSpec;
  readonly records: Uint8Array;
  /** The solver's checkpoint i (the state at step `fromStep`). */
  readonly start: readonly Tensor[];
  readonly fromStep: number;
  readonly steps: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `steps` training steps from `start` with the canonical graph on the current tfjs backend
 * (the fast path, as training does) and returns the end state.
 */
export async function reexecute(p: ReexecuteParameters): Promise<Tensor[]> {
  let state = toTf(p.tf, p.start);
  try {
    for (let s = p.fromStep; s < p.fromStep + p.steps; s++) {
      p.signal?.throwIfAborted();
      const { state: next } = executeStep(p.tf, p.graph, state, loadBatch(p.spec, p.records, s));
      for (const t of state) t.dispose();
      state = next;
    }
    return (await fromTf(state)).map((t) => ({ shape: t.shape, data: t.data }));
  } finally {
    for (const t of state) t.dispose();
  }
}

export interface ScreenResult extends StateDistance {
  readonly verdict: ScreenVerdict;
  /** Steps re-executed. */
  readonly steps: number;
  /** Wall time of the re-execution and the comparison. */
  readonly ms: number;
}

/** Re-executes interval [fromStep, fromStep + steps) from `start` and compares with `end`. */
export async function screenInterval(
  p: ReexecuteParameters & { readonly end: readonly Tensor[]; readonly threshold: number; readonly now?: () => number },
): Promise<ScreenResult> {
  const now = p.now ?? (() => performance.now());
  const t0 = now();
  const ours = await reexecute(p);
  const d = stateDistance(ours, p.end);
  return { ...d, verdict: screenVerdict(d.distance, p.threshold), steps: p.steps, ms: now() - t0 };
}

/**
 * A threshold between honest drift and fraud, from measured distances: the geometric mean of the
 * largest honest distance and the smallest fraudulent one, or undefined when they overlap.
 */
export function calibrateThreshold(honest: readonly number[], fraud: readonly number[]): { threshold: number; margin: number } | undefined {
  const h = Math.max(...honest, Number.MIN_VALUE);
  const f = Math.min(...fraud);
  if (!(f > h)) return undefined;
  return { threshold: Math.sqrt(h * f), margin: f / h };
}
