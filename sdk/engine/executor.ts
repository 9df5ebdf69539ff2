/**
 * Executes the canonical op graph (§3) with tfjs kernels: a whole step for training, or with its
 * op trace (every op's output) for verification and disputes. Both paths run the same kernels in
 * the same order, so a traced re-run reproduces the training bits exactly on the same backend.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor } from '../commit/tensor.ts';
import { OpKind, Space, STEP_PARAM_KINDS, type Graph, type OpDesc, type OpInput } from '../graph/graph.ts';
import { gatherMap } from '../graph/relayout.ts';
import { fp32Bits, fp32FromBits } from '../spec/job-spec.ts';
import type { Batch } from './batch.ts';

type TF = typeof tfjs;

export interface StepResult {
  /** The state after the step, in state order, as tfjs tensors (the caller disposes them). */
  readonly state: tfjs.Tensor[];
  /** Every op output in graph order, when traced. */
  readonly trace?: Float32Array[];
}

/** An op output in the fast path: a tensor, or a transpose not materialised (an exact relayout). */
export type Value = tfjs.Tensor | { readonly transposeOf: tfjs.Tensor };

const isLazy = (v: Value): v is { readonly transposeOf: tfjs.Tensor } => 'transposeOf' in v;
const materialise = (tf: TF, v: Value): tfjs.Tensor => (isLazy(v) ? tf.transpose(v.transposeOf) : v);

/**
 * One op. TRANSPOSE is lazy: MATMUL reads a transposed second operand as its source, and
 * ROW_SUM sums the source along the other axis, instead of copying. The traced path materialises
 * the transposes for the record but feeds the kernels exactly as the fast path does, so both
 * give the same bits.
 */
export function runOp(tf: TF, op: OpDesc, inputs: Value[], batch: Batch): Value {
  const [va, vb] = inputs as [Value, Value];
  const a = (): tfjs.Tensor => materialise(tf, va);
  const b = (): tfjs.Tensor => materialise(tf, vb);
  const c = (): tfjs.Scalar => tf.scalar(fp32FromBits(op.params[0] ?? 0));
  const p = (i: number): tfjs.Scalar => tf.scalar(fp32FromBits(op.params[i] ?? 0));
  switch (op.kind) {
    case OpKind.LOAD_X:
      return tf.tensor(batch.x, [...op.shape]);
    case OpKind.LOAD_Y:
      return tf.tensor(batch.y, [...op.shape]);
    case OpKind.MATMUL:
      // C = A · Bᵀ as a plain matMul of A and Bᵀ: tfjs-wasm runs transposed matMuls ~13x slower
      // than an explicit transpose plus a plain one, and a lazy B already is Bᵀ's source.
      return tf.matMul(a(), isLazy(vb) ? vb.transposeOf : tf.transpose(vb));
    case OpKind.BIAS_ADD:
      return tf.add(a(), b());
    case OpKind.RELU:
      return tf.relu(a());
    case OpKind.TANH:
      return tf.tanh(a());
    case OpKind.SIGMOID:
      return tf.sigmoid(a());
    case OpKind.RELU_GRAD:
      return tf.mul(a(), tf.step(b()));
    case OpKind.TANH_GRAD:
      return tf.mul(a(), tf.sub(1, tf.square(b())));
    case OpKind.SIGMOID_GRAD: {
      const y = b();
      return tf.mul(a(), tf.mul(y, tf.sub(1, y)));
    }
    case OpKind.ROW_MAX:
      return tf.max(a(), 1);
    case OpKind.SUB_ROW:
      return tf.sub(a(), tf.expandDims(b(), 1));
    case OpKind.EXP:
      return tf.exp(a());
    case OpKind.ROW_SUM:
      return isLazy(va) ? tf.sum(va.transposeOf, 0) : tf.sum(va, 1);
    case OpKind.DIV_ROW:
      return tf.div(a(), tf.expandDims(b(), 1));
    case OpKind.SCALED_DIFF:
      return tf.mul(tf.sub(a(), b()), c());
    case OpKind.TRANSPOSE:
      return { transposeOf: a() };
    case OpKind.SGD_VELOCITY:
      return tf.add(tf.mul(a(), c()), b());
    case OpKind.SGD_WEIGHT:
      return tf.sub(a(), tf.mul(b(), c()));
    case OpKind.RESHAPE:
      return tf.reshape(a(), [...op.shape]);
    case OpKind.PATCHES:
    case OpKind.PERMUTE:
      return gather(tf, op, a());
    case OpKind.ROW_MEAN:
      return tf.mean(a(), 1);
    case OpKind.MAXPOOL_GRAD: {
      // Route each window's gradient to its first maximum (row-major in the window): a one-hot
      // mask from "equal to the max and no earlier element equal to it" (an exact 0/1 matmul).
      const windows = a();
      const q = windows.shape[1] as number;
      const isMax = tf.cast(tf.equal(windows, tf.max(windows, 1, true)), 'float32');
      const earlier = tf.tensor2d(
        Array.from({ length: q * q }, (_, i) => (Math.floor(i / q) < i % q ? 1 : 0)),
        [q, q],
      );
      const first = tf.mul(isMax, tf.cast(tf.equal(tf.matMul(isMax, earlier), 0), 'float32'));
      return gather(tf, op, tf.mul(first, tf.expandDims(b(), 1)));
    }
    case OpKind.AVGPOOL_GRAD:
      return gather(tf, op, tf.div(a(), tf.scalar((op.params[0] as number) * (op.params[1] as number))));
    case OpKind.ADAM_M:
      return tf.add(tf.mul(a(), p(0)), tf.mul(b(), p(1)));
    case OpKind.ADAM_V:
      return tf.add(tf.mul(a(), p(0)), tf.mul(tf.square(b()), p(1)));
    case OpKind.ADAM_DIR: // params [ε, bc1, bc2]
      return tf.div(tf.div(a(), p(1)), tf.add(tf.sqrt(tf.div(b(), p(2))), p(0)));
    case OpKind.ADAMW_STEP: // params [λ, lr]
      return tf.sub(a(), tf.mul(tf.add(b(), tf.mul(a(), p(0))), p(1)));
  }
}

/**
 * The op as step j runs it: kinds that read the schedule table (STEP_PARAM_KINDS) get the step's
 * row appended to their params (ADAM_DIR: bc1, bc2; ADAMW_STEP: lr), as fp32 bits.
 */
export function opForStep(op: OpDesc, batch: Batch): OpDesc {
  if (!STEP_PARAM_KINDS.has(op.kind)) return op;
  const row = batch.schedule;
  if (row === undefined) throw new RangeError(`op ${op.name} reads the schedule table, but the batch has no schedule row`);
  return { ...op, params: [...op.params, ...(op.kind === OpKind.ADAM_DIR ? [fp32Bits(row.bc1), fp32Bits(row.bc2)] : [fp32Bits(row.lr)])] };
}

/** Each relayout's map with its -1s pointing at the sentinel +0 appended after the source. */
const deviceMaps = new WeakMap<OpDesc, Int32Array>();

/**
 * An exact relayout: gather the source elements by the op's map, with +0 where it has none. A
 * copy, so every way of doing it gives the same bits: where reads are synchronous (cpu, wasm,
 * tensorflow) it is done on the host, since tfjs-wasm's Gather kernel costs ~58 ns an element
 * (a conv's input-gradient patches were 70% of a CNN step); on webgpu it stays on the device.
 */
function gather(tf: TF, op: OpDesc, source: tfjs.Tensor): tfjs.Tensor {
  const map = gatherMap(op);
  if (tf.getBackend() !== 'webgpu') {
    // Copied as u32 words: a float copy could rewrite a NaN's payload.
    const read = source.dataSync() as Float32Array;
    const from = new Uint32Array(read.buffer, read.byteOffset, read.length);
    const out = new Uint32Array(map.length);
    for (let e = 0; e < map.length; e++) {
      const i = map[e] as number;
      if (i >= 0) out[e] = from[i] as number;
    }
    return tf.tensor(new Float32Array(out.buffer), [...op.shape]);
  }
  let indices = deviceMaps.get(op);
  if (indices === undefined) {
    const sentinel = source.size;
    indices = map.map((i) => (i < 0 ? sentinel : i));
    deviceMaps.set(op, indices);
  }
  const flat = tf.concat([tf.reshape(source, [-1]), tf.zeros([1])]);
  return tf.reshape(tf.gather(flat, tf.tensor1d(indices, 'int32')), [...op.shape]);
}

/** One training step (the fast path). `state` holds the step's input state (state order); it is not disposed. */
export function executeStep(tf: TF, graph: Graph, state: readonly tfjs.Tensor[], batch: Batch): StepResult {
  const S = graph.state.length;
  const first = graph.ops.length - S;
  const next = tf.tidy(() => {
    const outputs: Value[] = [];
    const resolve = (input: OpInput): Value => (input.space === Space.STATE ? state[input.index] : outputs[input.index]) as Value;
    for (const op of graph.ops) outputs.push(runOp(tf, opForStep(op, batch), op.inputs.map(resolve), batch));
    return outputs.slice(first).map((v) => materialise(tf, v));
  });
  return { state: next };
}

/**
 * One step with its op trace (every op output read back to the CPU), read with `await data()`:
 * WebGPU has no synchronous read in Node.
 * Runs the same kernels in the same order as `executeStep`, so the state bits are identical.
 */
export async function executeStepTraced(tf: TF, graph: Graph, state: readonly tfjs.Tensor[], batch: Batch): Promise<Required<StepResult>> {
  const S = graph.state.length;
  const first = graph.ops.length - S;
  const { outputs, next } = tf.tidy(() => {
    const values: Value[] = [];
    const resolve = (input: OpInput): Value => (input.space === Space.STATE ? state[input.index] : values[input.index]) as Value;
    for (const op of graph.ops) values.push(runOp(tf, opForStep(op, batch), op.inputs.map(resolve), batch));
    const all = values.map((v) => materialise(tf, v));
    // Keep every output past the tidy; the state tensors are separate clones the caller owns.
    return { outputs: all, next: all.slice(first).map((t) => t.clone()) };
  });
  try {
    const trace = await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array));
    return { state: next, trace };
  } finally {
    for (const t of outputs) t.dispose();
  }
}

/**
 * The forward pass only: the graph's ops up to its logits, for inputs `x` ([batch, features]
 * decoded as LOAD_X does). `graph` must be built with that batch size. Returns the logits.
 */
export function executeForward(tf: TF, graph: Graph, state: readonly tfjs.Tensor[], x: Float32Array): tfjs.Tensor {
  return tf.tidy(() => {
    const outputs: Value[] = [];
    const batch: Batch = { indices: [], x, y: new Float32Array(graph.ops[1]?.shape.reduce((a, b) => a * b, 1) ?? 0) };
    const resolve = (input: OpInput): Value => (input.space === Space.STATE ? state[input.index] : outputs[input.index]) as Value;
    for (const op of graph.ops.slice(0, graph.logits + 1)) outputs.push(runOp(tf, op, op.inputs.map(resolve), batch));
    return materialise(tf, outputs[graph.logits] as Value);
  });
}

/** tfjs tensors for a protocol state (copies the data into the backend). */
export function toTf(tf: TF, state: readonly Tensor[]): tfjs.Tensor[] {
  return state.map((t) => tf.tensor(t.data, [...t.shape]));
}

/** Read a tfjs state back as protocol tensors. */
export async function fromTf(state: readonly tfjs.Tensor[]): Promise<Tensor[]> {
  return Promise.all(state.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array })));
}

/**
 * The input tensors of `op` in a traced step, for checking its output: the batch tensor for the
 * data loads, else the state and trace tensors its inputs reference.
 */
export function opInputs(op: OpDesc, state: readonly Float32Array[], trace: readonly Float32Array[], batch: Batch): Float32Array[] {
  if (op.kind === OpKind.LOAD_X) return [batch.x];
  if (op.kind === OpKind.LOAD_Y) return [batch.y];
  return op.inputs.map((input) => (input.space === Space.STATE ? state[input.index] : trace[input.index]) as Float32Array);
}
