/**
 * The exact check (docs/PROTOCOL.md §4, §7): the solver's own intermediate states and op traces of
 * an interval, as it served them over `/veritrain/states/1.0.0`, judged transition by transition
 * with the rule the chain applies (sdk/dispute findFault: float64 screen, then the exact integer
 * rule per element). Drift never compounds because each step is judged from the solver's own
 * state before it. Only a fault found here is worth a bond.
 */
import {
  decodeState,
  findFault,
  loadBatch,
  stateRoot,
  type Fault,
  type Graph,
  type Hex,
  type JobSpec,
  type StepData,
  type Tensor,
  type Trajectory,
} from '../../sdk/index.ts';

/** Why served data cannot be used (the solver then has to reveal on-chain). */
export class ServedDataError extends Error {
  override name = 'ServedDataError';
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Decodes a served state file and checks it has the graph's state layout. */
export function decodeServedState(graph: Graph, bytes: Uint8Array, step: number): Tensor[] {
  let tensors: Tensor[];
  try {
    tensors = decodeState(bytes);
  } catch (err) {
    throw new ServedDataError(`the state of step ${step} is not a state file: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (tensors.length !== graph.state.length || tensors.some((t, i) => !sameShape(t.shape, graph.state[i]?.shape ?? []))) {
    throw new ServedDataError(`the state of step ${step} does not have the graph's ${graph.state.length} state tensors`);
  }
  return tensors;
}

/** Decodes a served op trace (op outputs in graph order) and checks every shape against the graph. */
export function decodeServedTrace(graph: Graph, bytes: Uint8Array, step: number): Float32Array[] {
  let tensors: Tensor[];
  try {
    tensors = decodeState(bytes);
  } catch (err) {
    throw new ServedDataError(`the op trace of step ${step} is not a state file: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (tensors.length !== graph.ops.length || tensors.some((t, i) => !sameShape(t.shape, graph.ops[i]?.shape ?? []))) {
    throw new ServedDataError(`the op trace of step ${step} does not have the graph's ${graph.ops.length} op outputs`);
  }
  return tensors.map((t) => t.data);
}

export interface ServedChainParameters {
  readonly graph: Graph;
  readonly spec: JobSpec;
  readonly records: Uint8Array;
  /** First and last step of the interval (i·k and (i+1)·k). */
  readonly start: number;
  readonly end: number;
  /** The served states at steps start..end. */
  readonly states: ReadonlyMap<number, Tensor[]>;
  /** The served op traces of steps start..end-1. */
  readonly traces: ReadonlyMap<number, Float32Array[]>;
  /** The on-chain roots of checkpoints i and i + 1: the served chain must connect them. */
  readonly startRoot: Hex;
  readonly endRoot: Hex;
}

/**
 * The solver's chain as served, as a Trajectory (what playChallenger bisects with). Throws
 * ServedDataError when a state or trace is missing or the ends are not the committed checkpoints.
 */
export function servedChain(p: ServedChainParameters): Trajectory {
  for (let s = p.start; s <= p.end; s++) if (!p.states.has(s)) throw new ServedDataError(`the state of step ${s} was not served`);
  for (let s = p.start; s < p.end; s++) if (!p.traces.has(s)) throw new ServedDataError(`the op trace of step ${s} was not served`);
  const first = stateRoot(p.states.get(p.start) as Tensor[]);
  if (first !== p.startRoot.toLowerCase()) throw new ServedDataError(`the served state of step ${p.start} has root ${first}, the chain holds ${p.startRoot}`);
  const last = stateRoot(p.states.get(p.end) as Tensor[]);
  if (last !== p.endRoot.toLowerCase()) throw new ServedDataError(`the served state of step ${p.end} has root ${last}, the chain holds ${p.endRoot}`);
  return {
    start: p.start,
    end: p.end,
    stateAt(step) {
      const state = p.states.get(step);
      if (state === undefined) return Promise.reject(new RangeError(`step ${step} is outside [${p.start}, ${p.end}]`));
      return Promise.resolve(state);
    },
    stepAt(step) {
      if (step < p.start || step >= p.end) return Promise.reject(new RangeError(`step ${step} is outside [${p.start}, ${p.end})`));
      const data: StepData = {
        step,
        before: p.states.get(step) as Tensor[],
        trace: p.traces.get(step) as Float32Array[],
        after: p.states.get(step + 1) as Tensor[],
        batch: loadBatch(p.spec, p.records, step),
      };
      return Promise.resolve(data);
    },
  };
}

export interface FoundFault {
  readonly step: number;
  readonly fault: Fault;
}

/**
 * Judges every step of the chain in order and returns the first invalid transition, or undefined
 * when every element of every op of every step is within its bound and every trace reproduces the
 * next state. Yields to the event loop between steps.
 */
export async function firstFault(
  graph: Graph,
  chain: Trajectory,
  options: { signal?: AbortSignal | undefined; onStep?: (step: number) => void } = {},
): Promise<FoundFault | undefined> {
  for (let step = chain.start; step < chain.end; step++) {
    options.signal?.throwIfAborted();
    const fault = findFault(graph, await chain.stepAt(step));
    options.onStep?.(step);
    if (fault !== undefined) return { step, fault };
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
  }
  return undefined;
}
