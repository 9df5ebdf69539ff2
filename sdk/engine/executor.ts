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

function runOp(tf: TF, op: OpDesc, inputs: tfjs.Tensor[], batch: Batch): tfjs.Tensor {
  const [a, b] = inputs as [tfjs.Tensor, tfjs.Tensor];
  const c = (): tfjs.Scalar => tf.scalar(fp32FromBits(op.params[0] ?? 0));
  switch (op.kind) {
    case OpKind.LOAD_X:
      return tf.tensor(batch.x, [...op.shape]);
    case OpKind.LOAD_Y:
      return tf.tensor(batch.y, [...op.shape]);
    case OpKind.MATMUL:
      return tf.matMul(a, b, false, true);
    case OpKind.BIAS_ADD:
      return tf.add(a, b);
    case OpKind.RELU:
      return tf.relu(a);
    case OpKind.TANH:
      return tf.tanh(a);
    case OpKind.SIGMOID:
      return tf.sigmoid(a);
    case OpKind.RELU_GRAD:
      return tf.where(tf.greater(b, 0), a, tf.zerosLike(a));
    case OpKind.TANH_GRAD:
      return tf.mul(a, tf.sub(1, tf.square(b)));
    case OpKind.SIGMOID_GRAD:
      return tf.mul(a, tf.mul(b, tf.sub(1, b)));
    case OpKind.ROW_MAX:
      return tf.max(a, 1);
    case OpKind.SUB_ROW:
      return tf.sub(a, tf.expandDims(b, 1));
    case OpKind.EXP:
      return tf.exp(a);
    case OpKind.ROW_SUM:
      return tf.sum(a, 1);
    case OpKind.DIV_ROW:
      return tf.div(a, tf.expandDims(b, 1));
    case OpKind.SCALED_DIFF:
      return tf.mul(tf.sub(a, b), c());
    case OpKind.TRANSPOSE:
      return tf.transpose(a);
    case OpKind.SGD_VELOCITY:
      return tf.add(tf.mul(a, c()), b);
    case OpKind.SGD_WEIGHT:
      return tf.sub(a, tf.mul(b, c()));
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
    const outputs: tfjs.Tensor[] = [];
    const resolve = (input: OpInput): tfjs.Tensor => (input.space === Space.STATE ? state[input.index] : outputs[input.index]) as tfjs.Tensor;
    for (const op of graph.ops) outputs.push(runOp(tf, op, op.inputs.map(resolve), batch));
    if (options.trace === true) trace = outputs.map((t) => t.dataSync() as Float32Array);
    return outputs.slice(first);
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
