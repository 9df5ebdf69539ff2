/**
 * The challenger's search: given the solver's own data for one step (state before, op trace,
 * state after), the first element that breaks the tolerance rule, or the first next-state element
 * the trace does not reproduce bit for bit. Screens in float64, confirms with the exact rule.
 */
import { opForStep, opInputs } from '../engine/executor.ts';
import type { Tensor } from '../commit/tensor.ts';
import { OpKind, type Graph } from '../graph/graph.ts';
import { fp32Bits } from '../spec/job-spec.ts';
import { checkElement } from '../tolerance/exact.ts';
import { elementReads } from '../tolerance/reads.ts';
import { checkOutput } from '../tolerance/vector.ts';
import type { StepData } from './trajectory.ts';

export type Fault =
  | { readonly kind: 'element'; readonly op: number; readonly element: number }
  | { readonly kind: 'next-state'; readonly tensor: number; readonly element: number }
  /** The trace's copy of the state before the step; never found in a served step (its copies are its state). */
  | { readonly kind: 'state-copy'; readonly tensor: number; readonly element: number }
  /** Checkpoint 0 itself, where it is not the spec's initial state (§3.2). */
  | { readonly kind: 'initial'; readonly tensor: number; readonly element: number };

/** The first element where a checkpoint 0 departs from the spec's initial state (`initialState`). */
export function findInitialFault(initial: readonly Tensor[], state: readonly Tensor[]): Fault | undefined {
  const at = firstStateDifference(initial, state);
  return at === undefined ? undefined : { kind: 'initial', ...at };
}

export function findFault(graph: Graph, step: StepData): Fault | undefined {
  const before = step.before.map((t) => t.data);
  for (const [i, graphOp] of graph.ops.entries()) {
    const op = opForStep(graphOp, step.batch);
    const out = step.trace[i];
    if (out === undefined) return { kind: 'element', op: i, element: 0 };
    const inputs = opInputs(op, before, step.trace, step.batch);
    for (const element of checkOutput(op, inputs, out).violations) {
      // Loads are judged against the challenger's own batch decoding, exact in float64.
      if (op.kind === OpKind.LOAD_X || op.kind === OpKind.LOAD_Y) return { kind: 'element', op: i, element };
      const reads = elementReads(op, inputs, element);
      if (!checkElement(op.kind, op.params, reads.a, reads.b, fp32Bits(out[element] as number), reads.position)) return { kind: 'element', op: i, element };
    }
  }
  const S = graph.state.length;
  const n = graph.ops.length;
  for (let t = 0; t < S; t++) {
    const element = firstDifference(step.trace[n - S + t] as Float32Array, (step.after[t] as Tensor).data);
    if (element !== undefined) return { kind: 'next-state', tensor: t, element };
  }
  return undefined;
}

/** The first element where a published trace's copy of the state before the step departs from that state. */
export function findCopyFault(before: readonly Tensor[], copies: readonly Tensor[]): Fault | undefined {
  const at = firstStateDifference(before, copies);
  return at === undefined ? undefined : { kind: 'state-copy', ...at };
}

/**
 * Where `got` departs from `expected`, tensor by tensor: a tensor of another shape (or missing)
 * at its element 0, else the first element whose bits differ.
 */
function firstStateDifference(expected: readonly Tensor[], got: readonly Tensor[]): { tensor: number; element: number } | undefined {
  for (const [tensor, want] of expected.entries()) {
    const have = got[tensor];
    if (have === undefined || have.shape.join() !== want.shape.join()) return { tensor, element: 0 };
    const element = firstDifference(have.data, want.data);
    if (element !== undefined) return { tensor, element };
  }
  return undefined;
}

/** The first element whose bits differ (NaN payloads and signed zeros included), or the shorter length. */
function firstDifference(a: Float32Array, b: Float32Array): number | undefined {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? undefined : n;
}
