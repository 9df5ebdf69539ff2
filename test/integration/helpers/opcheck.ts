/**
 * Shared by the differential op-check tests: fp32 ulp steps in value order, the edges of a
 * rule's valid interval, the special patterns, a seeded generator and an honest traced step.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { executeStepTraced, initialState, loadBatch, toTf, useBackend, type Graph, type JobSpec, type StepData } from '../../../sdk/index.ts';

export const NAN = 0x7fc00000;
export const INF = 0x7f800000;
export const NEG_INF = 0xff800000;
export const NEG_ZERO = 0x80000000;
export const MAX_F32 = 0x7f7fffff;

/** Order-preserving integer of finite bits (±0 both 0), and back. */
const order = (b: number): number => (b >>> 31 ? -(b & 0x7fffffff) : b);
const fromOrder = (o: number): number => (o < 0 ? (0x80000000 | -o) >>> 0 : o);
const MAX_ORDER = INF;

/** `steps` fp32 values up (or down, negative) from `b`, clamped at ±Inf. */
export const stepBits = (b: number, steps: number): number => fromOrder(Math.max(-MAX_ORDER, Math.min(MAX_ORDER, order(b) + steps)));
export const isFiniteBits = (b: number): boolean => (b & 0x7f800000) !== 0x7f800000;

/** A deterministic generator of uniform numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The last fp32 in direction `dir` from a valid y0 that `accepts` still takes (binary search on ulps). */
export function validEdge(accepts: (y: number) => boolean, y0: number, dir: 1 | -1): number {
  let lo = 0; // valid
  let step = 1;
  while (step < 2 * MAX_ORDER && accepts(stepBits(y0, dir * step))) {
    lo = step;
    step *= 2;
  }
  let hi = step; // invalid (or past the end)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (accepts(stepBits(y0, dir * mid))) lo = mid;
    else hi = mid;
  }
  return stepBits(y0, dir * lo);
}

/** y values around y0: itself, ±1 and ±1024 ulps, the edges of the valid interval and one past, zeros and specials. */
export function yAround(accepts: (y: number) => boolean, y0: number): number[] {
  const ys = [y0, stepBits(y0, 1), stepBits(y0, -1), stepBits(y0, 1024), stepBits(y0, -1024), 0, NEG_ZERO, INF, NEG_INF, NAN, 1, 0x80000001];
  if (isFiniteBits(y0) && accepts(y0)) {
    const up = validEdge(accepts, y0, 1);
    const down = validEdge(accepts, y0, -1);
    ys.push(up, stepBits(up, 1), down, stepBits(down, -1));
  }
  return ys;
}

/** Step `steps - 1` of honest wasm training from the initial state: the state before, the op trace, the batch. */
export async function tracedStep(spec: JobSpec, graph: Graph, records: Uint8Array, steps: number): Promise<StepData> {
  const tf = await useBackend('wasm');
  let state: tfjs.Tensor[] = toTf(tf, initialState(spec));
  let last: StepData | undefined;
  for (let step = 0; step < steps; step++) {
    const batch = loadBatch(spec, records, step);
    const before = state.map((t, i) => ({ shape: graph.state[i]?.shape ?? [], data: t.dataSync() as Float32Array }));
    const { state: next, trace } = await executeStepTraced(tf, graph, state, batch);
    const after = next.map((t, i) => ({ shape: graph.state[i]?.shape ?? [], data: t.dataSync() as Float32Array }));
    last = { step, before, trace, after, batch };
    for (const t of state) t.dispose();
    state = next;
  }
  for (const t of state) t.dispose();
  assert.ok(last);
  return last;
}
