/**
 * Executes the canonical op graph (§3) with tfjs kernels: a whole step for training, or with its
 * op trace (every op's output) for verification and disputes. Both paths run the same kernels in
 * the same order, so a traced re-run reproduces the training bits exactly on the same backend.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tensor } from '../commit/tensor.ts';
import { OpKind, Space, type Graph, type OpDesc, type OpInput } from '../graph/graph.ts';
import { fp32FromBits } from '../spec/job-spec.ts';
import type { Batch } from './batch.ts';

type TF = typeof tfjs;

export interface StepResult {
  /** The state after the step, in state order, as tfjs tensors (the caller disposes them). */
  readonly state: tfjs.Tensor[];
  /** Every op output in graph order, when traced. */
  readonly trace?: Float32Array[];
}

/** An op output in the fast path: a tensor, or a transpose not materialised (an exact relayout). */
type Value = tfjs.Tensor | { readonly transposeOf: tfjs.Tensor };

const isLazy = (v: Value): v is { readonly transposeOf: tfjs.Tensor } => 'transposeOf' in v;
const materialise = (tf: TF, v: Value): tfjs.Tensor => (isLazy(v) ? tf.transpose(v.transposeOf) : v);

/**
 * One op. TRANSPOSE is lazy: MATMUL reads a transposed second operand as its source, and
 * ROW_SUM sums the source along the other axis, instead of copying. The traced path materialises
 * the transposes for the record but feeds the kernels exactly as the fast path does, so both
 * give the same bits.
 */
function runOp(tf: TF, op: OpDesc, inputs: Value[], batch: Batch): Value {
  const [va, vb] = inputs as [Value, Value];
  const a = (): tfjs.Tensor => materialise(tf, va);
  const b = (): tfjs.Tensor => materialise(tf, vb);
  const c = (): tfjs.Scalar => tf.scalar(fp32FromBits(op.params[0] ?? 0));
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
  }
}

/**
 * One training step. `state` holds the step's input state (state order); it is not disposed.
 * With `trace`, every op output is read back to the CPU.
 */
export function executeStep(tf: TF, graph: Graph, state: readonly tfjs.Tensor[], batch: Batch, options: { trace?: boolean } = {}): StepResult {
  const S = graph.state.length;
  const first = graph.ops.length - S;
  let trace: Float32Array[] | undefined;
  const next = tf.tidy(() => {
    const outputs: Value[] = [];
    const resolve = (input: OpInput): Value => (input.space === Space.STATE ? state[input.index] : outputs[input.index]) as Value;
    for (const op of graph.ops) outputs.push(runOp(tf, op, op.inputs.map(resolve), batch));
    if (options.trace === true) trace = outputs.map((v) => materialise(tf, v).dataSync() as Float32Array);
    return outputs.slice(first).map((v) => materialise(tf, v));
  });
  return trace === undefined ? { state: next } : { state: next, trace };
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
