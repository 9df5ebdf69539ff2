/**
 * A party's chain of states over a checkpoint interval, regenerated on demand from the interval's
 * start state with the canonical graph. The solver's daemon regenerates its own chain bit-exactly
 * (same backend); a test or demo may plug in an adversarial transition (./frauds.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor } from '../commit/tensor.ts';
import type { Batch } from '../engine/batch.ts';
import { loadBatch } from '../engine/batch.ts';
import { executeStep, executeStepTraced, fromTf, toTf, type StepResult } from '../engine/executor.ts';
import type { Graph } from '../graph/graph.ts';
import type { JobSpec } from '../spec/job-spec.ts';

/** One step as the chain has it: the state before, every op output, the state after, the batch. */
export interface StepData {
  readonly step: number;
  readonly before: Tensor[];
  readonly trace: Float32Array[];
  readonly after: Tensor[];
  readonly batch: Batch;
}

/** How a chain gets from the state at `step` to the next; the canonical graph for an honest party. */
export type Transition = (
  tf: typeof tfjs,
  graph: Graph,
  state: readonly tfjs.Tensor[],
  batch: Batch,
  step: number,
  options: { trace: boolean },
) => StepResult | Promise<StepResult>;

export const honestTransition = (
  tf: typeof tfjs,
  graph: Graph,
  state: readonly tfjs.Tensor[],
  batch: Batch,
  _step: number,
  options: { trace: boolean },
): Promise<StepResult> => (options.trace ? executeStepTraced(tf, graph, state, batch) : Promise.resolve(executeStep(tf, graph, state, batch)));

export interface Trajectory {
  readonly start: number;
  readonly end: number;
  /** The chain's state at `step` (start <= step <= end). */
  stateAt(step: number): Promise<Tensor[]>;
  /** Step `step` (start <= step < end) with its op trace. */
  stepAt(step: number): Promise<StepData>;
}

export interface TrajectoryOptions {
  readonly tf: typeof tfjs;
  readonly graph: Graph;
  readonly spec: JobSpec;
  readonly records: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly startState: Tensor[];
  readonly transition?: Transition;
}

export function createTrajectory(options: TrajectoryOptions): Trajectory {
  const { tf, graph, spec, records, start, end } = options;
  const transition = options.transition ?? honestTransition;
  const states = new Map<number, Tensor[]>([[start, options.startState]]);

  const stateAt = async (step: number): Promise<Tensor[]> => {
    if (step < start || step > end) throw new RangeError(`step ${step} is outside [${start}, ${end}]`);
    let known = step;
    while (!states.has(known)) known--;
    let current = toTf(tf, states.get(known) as Tensor[]);
    for (let s = known; s < step; s++) {
      const { state: next } = await transition(tf, graph, current, loadBatch(spec, records, s), s, { trace: false });
      for (const t of current) t.dispose();
      current = next;
      states.set(s + 1, await fromTf(current));
    }
    for (const t of current) t.dispose();
    return states.get(step) as Tensor[];
  };

  return {
    start,
    end,
    stateAt,
    async stepAt(step) {
      if (step < start || step >= end) throw new RangeError(`step ${step} is outside [${start}, ${end})`);
      const before = await stateAt(step);
      const batch = loadBatch(spec, records, step);
      const input = toTf(tf, before);
      const { state, trace } = await transition(tf, graph, input, batch, step, { trace: true });
      const after = await fromTf(state);
      for (const t of [...input, ...state]) t.dispose();
      return { step, before, trace: trace ?? [], after, batch };
    },
  };
}
