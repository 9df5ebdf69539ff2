/**
 * The challenger's search: given the solver's own data for one step (state before, op trace,
 * state after), the first element that breaks the tolerance rule, or the first next-state tensor
 * the trace does not reproduce. Screens in float64, confirms with the exact rule.
 */
import { bytesToHex } from 'viem';
import { tensorRootBytes, type Tensor } from '../commit/tensor.ts';
import { opInputs } from '../engine/executor.ts';
import { OpKind, type Graph } from '../graph/graph.ts';
import { fp32Bits } from '../spec/job-spec.ts';
import { checkElement } from '../tolerance/exact.ts';
import { elementReads } from '../tolerance/reads.ts';
import { checkOutput } from '../tolerance/vector.ts';
import { traceTensorRoots } from './openings.ts';
import type { StepData } from './trajectory.ts';

export type Fault =
  | { readonly kind: 'element'; readonly op: number; readonly element: number }
  | { readonly kind: 'next-state'; readonly tensor: number };

export function findFault(graph: Graph, step: StepData): Fault | undefined {
  const before = step.before.map((t) => t.data);
  for (const [i, op] of graph.ops.entries()) {
    const out = step.trace[i];
    if (out === undefined) return { kind: 'element', op: i, element: 0 };
    const inputs = opInputs(op, before, step.trace, step.batch);
    for (const element of checkOutput(op, inputs, out).violations) {
      // Loads are judged against the challenger's own batch decoding, exact in float64.
      if (op.kind === OpKind.LOAD_X || op.kind === OpKind.LOAD_Y) return { kind: 'element', op: i, element };
      const reads = elementReads(op, inputs, element);
      if (!checkElement(op.kind, op.params, reads.a, reads.b, fp32Bits(out[element] as number))) return { kind: 'element', op: i, element };
    }
  }
  const traceRoots = traceTensorRoots(graph, step.trace);
  const S = graph.state.length;
  const n = graph.ops.length;
  for (let t = 0; t < S; t++) {
    const inTrace = bytesToHex(traceRoots[n - S + t] as Uint8Array);
    if (inTrace !== bytesToHex(tensorRootBytes(step.after[t] as Tensor))) return { kind: 'next-state', tensor: t };
  }
  return undefined;
}
