/**
 * The initial state (checkpoint 0) of a job, a pure function of the spec (docs/PROTOCOL.md §3.2):
 * momentum slots and biases zero, weights Glorot-uniform from initSeed with an exact,
 * integer-checkable construction so every implementation gets the same bits.
 */
import { hexToBytes } from 'viem';
import { sha256 } from '../commit/sha256.ts';
import type { Tensor } from '../commit/tensor.ts';
import { fp32Bits, fp32FromBits } from '../spec/job-spec.ts';
import { buildGraph, type GraphSpec } from './graph.ts';

/** The largest fp32 value L with L^2 * fanSum <= 6, i.e. sqrt(6 / fanSum) rounded down. */
export function glorotLimit(fanSum: number): number {
  const fits = (bits: number): boolean => {
    // The value is m * 2^e exactly; compare m^2 * fanSum * 2^(2e) <= 6 in integers.
    const exp = (bits >>> 23) & 0xff;
    const m = BigInt(exp === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000);
    const e = (exp === 0 ? 1 : exp) - 150;
    const lhs = m * m * BigInt(fanSum);
    return 2 * e >= 0 ? lhs << BigInt(2 * e) <= 6n : lhs <= 6n << BigInt(-2 * e);
  };
  let bits = fp32Bits(Math.sqrt(6 / fanSum));
  while (!fits(bits)) bits--;
  while (fits(bits + 1)) bits++;
  return fp32FromBits(bits);
}

/** Weight element `e` (row-major) of Wt_l, layer l counted from 1. */
export function initWeight(seed: Uint8Array, layer: number, element: number, limit: number): number {
  const msg = new Uint8Array(40);
  msg.set(seed, 0);
  const view = new DataView(msg.buffer);
  view.setUint32(32, layer);
  view.setUint32(36, element);
  const r = new DataView(sha256(msg).buffer).getUint32(0);
  const s = (2 * (r >>> 8) + 1 - 2 ** 24) / 2 ** 24;
  return Math.fround(s * limit);
}

/** The state at step 0, in state order: each tensor as its graph entry says (§3.2). */
export function initialState(spec: GraphSpec): Tensor[] {
  const graph = buildGraph(spec);
  const seed = hexToBytes(spec.model.initSeed);
  return graph.state.map((info) => {
    const n = info.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (info.init !== undefined) {
      const limit = glorotLimit(info.init.fanSum);
      for (let e = 0; e < n; e++) data[e] = initWeight(seed, info.init.tag, e, limit);
    }
    return { shape: info.shape, data };
  });
}
