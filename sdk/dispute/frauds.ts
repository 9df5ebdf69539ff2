/**
 * Adversarial transitions: how a cheating solver's chain departs from the canonical graph. For
 * tests, benchmarks and the demo's cheating solver; an honest node never uses them. Each one
 * takes effect at the steps `at` selects and behaves honestly elsewhere.
 */
import { OpKind } from '../graph/graph.ts';
import { fp32Bits, fp32FromBits } from '../spec/job-spec.ts';
import type { Tensor } from '../commit/tensor.ts';
import { honestTransition, type Transition } from './trajectory.ts';

export const FRAUD_KINDS = ['skip-steps', 'wrong-lr', 'wrong-batch', 'noise', 'copy-checkpoint', 'tamper-element', 'withhold'] as const;
/** Frauds only a model with a conv2d layer can commit: `conv-padding` pads the first conv's input one row too low. */
export const CONV_FRAUD_KINDS = ['conv-padding'] as const;
export type FraudKind = (typeof FRAUD_KINDS)[number] | (typeof CONV_FRAUD_KINDS)[number];

/**
 * A transition that cheats at the steps `at` selects. `withhold` trains honestly (its fraud is
 * refusing to serve data and to defend); `copy-checkpoint` makes every selected step a no-op, so
 * the interval's end state equals its start when all its steps are selected.
 */
export function fraudTransition(kind: FraudKind, at: (step: number) => boolean): Transition {
  return async (tf, graph, state, batch, step, options) => {
    if (!at(step) || kind === 'withhold') return honestTransition(tf, graph, state, batch, step, options);
    switch (kind) {
      case 'skip-steps':
      case 'copy-checkpoint': {
        // Claims the step but leaves the state as it was: the trace is honest, the state is not.
        const honest = await honestTransition(tf, graph, state, batch, step, options);
        for (const t of honest.state) t.dispose();
        return { ...honest, state: state.map((t) => t.clone()) };
      }
      case 'wrong-lr': {
        const scaled = {
          ...graph,
          ops: graph.ops.map((op) => (op.kind === OpKind.SGD_WEIGHT ? { ...op, params: [fp32Bits(fp32FromBits(op.params[0] ?? 0) * 10)] } : op)),
        };
        const cheat = await honestTransition(tf, scaled, state, batch, step, options);
        return options.trace ? { ...cheat, trace: cheat.trace ?? [] } : cheat;
      }
      case 'wrong-batch': {
        // Trains on the next step's batch instead (a cheaper pipeline that lost the step index).
        const shifted = { ...batch, x: batch.x.slice().reverse(), y: batch.y.slice().reverse() };
        return honestTransition(tf, graph, state, shifted, step, options);
      }
      case 'noise': {
        const honest = await honestTransition(tf, graph, state, batch, step, options);
        const noisy = honest.state.map((t) => tf.tidy(() => tf.add(t, tf.mul(tf.randomNormal(t.shape, 0, 1, 'float32', step), 1e-3))));
        for (const t of honest.state) t.dispose();
        return { ...honest, state: noisy };
      }
      case 'conv-padding': {
        // A padding bug in a hand-written im2col: the first conv reads its input shifted one row.
        const first = graph.ops.findIndex((op) => op.kind === OpKind.PATCHES);
        if (first < 0) throw new RangeError('the conv-padding fraud needs a model with a conv2d layer');
        const shifted = { ...graph, ops: graph.ops.map((op, i) => (i === first ? { ...op, params: op.params.map((v, j) => (j === 4 ? v + 1 : v)) } : op)) };
        const cheat = await honestTransition(tf, shifted, state, batch, step, options);
        return options.trace ? { ...cheat, trace: cheat.trace ?? [] } : cheat;
      }
      case 'tamper-element': {
        const honest = await honestTransition(tf, graph, state, batch, step, options);
        const w = honest.state[honest.state.length / 2] as (typeof honest.state)[number];
        const data = ((await w.data()) as Float32Array).slice();
        data[0] = (data[0] ?? 0) + 0.5;
        const tampered = honest.state.map((t, i) => (i === honest.state.length / 2 ? tf.tensor(data, t.shape) : t.clone()));
        for (const t of honest.state) t.dispose();
        return { ...honest, state: tampered };
      }
    }
  };
}

/**
 * A checkpoint 0 whose momentum slots (the first half of the state) are NaN: by rule 1 of §4.2
 * every SGD output that reads them is valid, which only the INITIAL_STATE point refutes.
 */
export function nanMomentumStart(initial: readonly Tensor[]): Tensor[] {
  return initial.map((t, i) => (i < initial.length / 2 ? { shape: t.shape, data: new Float32Array(t.data.length).fill(Number.NaN) } : t));
}

/**
 * A solver that never trains: the state is copied forward and the update ops' outputs (the last S
 * of the trace) are rewritten to match it, so every transition is consistent with its own trace.
 */
export const copyStateTransition: Transition = async (tf, graph, state, batch, step, options) => {
  const honest = await honestTransition(tf, graph, state, batch, step, options);
  for (const t of honest.state) t.dispose();
  const trace = honest.trace?.slice();
  if (trace !== undefined) {
    const values = await Promise.all(state.map(async (t) => (await t.data()) as Float32Array));
    values.forEach((v, i) => {
      trace[trace.length - state.length + i] = v;
    });
  }
  return { state: state.map((t) => t.clone()), ...(trace === undefined ? {} : { trace }) };
};
