// Deterministic states for tests and benchmarks: the same (seed, size) gives the same bytes everywhere.
import type { Tensor } from '../../../sdk/index.ts';

/** A state of one square-ish matrix and a bias, about `bytes` bytes of fp32 data, filled from `seed`. */
export function makeState(seed: number, bytes: number): Tensor[] {
  const side = Math.max(1, Math.floor(Math.sqrt(bytes / 4)));
  const w = new Float32Array(side * side);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < w.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    w[i] = (x >>> 8) / 2 ** 24 - 0.5;
  }
  return [
    { shape: [side, side], data: w },
    { shape: [side], data: new Float32Array(side).fill(seed) },
  ];
}
