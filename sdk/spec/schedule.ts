/**
 * AdamW's per-step values as a committed table (docs/PROTOCOL.md §3.5): for step j (from 0) the
 * learning rate of the schedule and the bias corrections 1 − β1^(j+1), 1 − β2^(j+1), each an fp32
 * number. The spec commits the table's Merkle root, so the chain opens a row by proof instead of
 * evaluating cos or a power; the SDK recomputes the table from the schedule and rejects a spec
 * whose root differs.
 */
import { bytesToHex, type Hex } from 'viem';
import { MerkleTree, merkleRoot } from '../commit/merkle.ts';
import { sha256 } from '../commit/sha256.ts';

export const SCHEDULES = ['constant', 'warmup-cosine', 'warmup-linear'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

export interface Schedule {
  readonly kind: ScheduleKind;
  /** Steps of linear warmup from lr/warmup to lr (0: none). */
  readonly warmupSteps: number;
  /** The learning rate the decay ends at (cosine and linear). */
  readonly finalLearningRate: number;
}

export interface AdamwParams {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly schedule: Schedule;
}

/** One row of the table, as fp32 values. */
export interface ScheduleRow {
  readonly lr: number;
  readonly bc1: number;
  readonly bc2: number;
}

/** The schedule's learning rate at step j of `steps` (float64, before rounding). */
function learningRateAt(p: AdamwParams, steps: number, j: number): number {
  const { kind, warmupSteps } = p.schedule;
  // The spec fixes these as fp32 (its canonical encoding rounds them): the table is computed from
  // the values every reader decodes, not from the decimals a user wrote.
  const peak = Math.fround(p.learningRate);
  const finalLearningRate = Math.fround(p.schedule.finalLearningRate);
  if (kind === 'constant') return peak;
  if (j < warmupSteps) return (peak * (j + 1)) / warmupSteps;
  const progress = (j - warmupSteps) / Math.max(1, steps - warmupSteps);
  if (kind === 'warmup-linear') return peak + (finalLearningRate - peak) * progress;
  return finalLearningRate + 0.5 * (peak - finalLearningRate) * (1 + Math.cos(Math.PI * progress));
}

export function scheduleRow(p: AdamwParams, steps: number, j: number): ScheduleRow {
  const b1 = Math.fround(p.beta1);
  const b2 = Math.fround(p.beta2);
  return {
    lr: Math.fround(learningRateAt(p, steps, j)),
    bc1: Math.fround(1 - b1 ** (j + 1)),
    bc2: Math.fround(1 - b2 ** (j + 1)),
  };
}

/** leaf_j = H(lr bits || bc1 bits || bc2 bits), big-endian u32 each. */
export function scheduleLeaf(row: ScheduleRow): Uint8Array {
  const buf = new Uint8Array(12);
  const view = new DataView(buf.buffer);
  view.setFloat32(0, row.lr);
  view.setFloat32(4, row.bc1);
  view.setFloat32(8, row.bc2);
  return sha256(buf);
}

/** The table's root: MerkleRoot(leaf_0, ..., leaf_{steps−1}) (§2.2). */
export function scheduleRoot(p: AdamwParams, steps: number): Hex {
  const leaves = new Uint8Array(32 * steps);
  for (let j = 0; j < steps; j++) leaves.set(scheduleLeaf(scheduleRow(p, steps, j)), 32 * j);
  return bytesToHex(merkleRoot(leaves));
}

/** Row `j` of the table and its single-leaf proof against `scheduleRoot`, as a dispute opens it (§3.5). */
export function scheduleOpening(p: AdamwParams, steps: number, j: number): { row: ScheduleRow; proof: readonly Hex[] } {
  if (!Number.isInteger(j) || j < 0 || j >= steps) throw new RangeError(`step ${j} is not in the table of ${steps} steps`);
  const leaves = new Uint8Array(32 * steps);
  for (let i = 0; i < steps; i++) leaves.set(scheduleLeaf(scheduleRow(p, steps, i)), 32 * i);
  return { row: scheduleRow(p, steps, j), proof: new MerkleTree(leaves).rangeProof(j).siblings };
}
