/**
 * The data-load ops (LOAD_X, LOAD_Y) of step j: the batch slots' records (§2.5) decoded into
 * fp32 inputs and targets (§2.4). Plain JavaScript: each value is one correctly rounded division.
 */
import { batchIndices } from '../commit/dataset.ts';
import { DatasetError } from '../errors.ts';
import { recordBytes, type JobSpec } from '../spec/job-spec.ts';
import { inputWidth, modelPlan, outputWidth } from '../spec/model.ts';
import { scheduleRow, type ScheduleRow } from '../spec/schedule.ts';

export type BatchSpec = Pick<JobSpec, 'model' | 'data' | 'training'> & { readonly optimizer?: JobSpec['optimizer'] };

export interface Batch {
  readonly indices: readonly bigint[];
  /** [batchSize, features], row-major. */
  readonly x: Float32Array;
  /** [batchSize, outputs], row-major. */
  readonly y: Float32Array;
  /** The step's row of the schedule table (AdamW jobs, §3.5). */
  readonly schedule?: ScheduleRow;
}

export function loadBatch(spec: BatchSpec, records: Uint8Array, step: number): Batch {
  const size = recordBytes(spec);
  const count = spec.data.recordCount;
  if (records.length !== size * count) {
    throw new DatasetError(`dataset holds ${records.length} bytes; the spec says ${count} records of ${size} bytes`);
  }
  const plan = modelPlan(spec.model);
  const features = inputWidth(plan);
  const outputs = outputWidth(plan);
  const B = spec.training.batchSize;
  const indices = batchIndices(spec.data.seed, BigInt(step), B, BigInt(count));
  const x = new Float32Array(B * features);
  const y = new Float32Array(B * outputs);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  indices.forEach((index, b) => {
    const base = Number(index) * size;
    if (spec.data.featureEncoding === 'u8-unit') {
      for (let f = 0; f < features; f++) x[b * features + f] = (records[base + f] as number) / 255;
    } else {
      for (let f = 0; f < features; f++) x[b * features + f] = view.getFloat32(base + 4 * f, true);
    }
    const labelAt = base + features * (spec.data.featureEncoding === 'u8-unit' ? 1 : 4);
    if (spec.data.labelEncoding === 'class-u8') {
      const label = records[labelAt] as number;
      if (label >= outputs) throw new DatasetError(`record ${index} has class ${label}, the model has ${outputs} classes`);
      y[b * outputs + label] = 1;
    } else {
      for (let o = 0; o < outputs; o++) y[b * outputs + o] = view.getFloat32(labelAt + 4 * o, true);
    }
  });
  const o = spec.optimizer;
  return o?.kind === 'adamw' ? { indices, x, y, schedule: scheduleRow(o, spec.training.steps, step) } : { indices, x, y };
}
