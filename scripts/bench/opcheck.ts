/**
 * Gas of ONE disputed element check through the proof-carrying entry point
 * (LibOpCheck.checkOpElement via OpCheckProofHarness.checkOpElementTx): a transaction's gasUsed on
 * the in-process Hardhat network (prague: EIP-7623 calldata floor included), with real openings
 * built by the SDK: the op descriptor against graphRoot, every input range against its tensor root
 * (trace layout, 128-byte leaves) and that root against the op trace root, the output element
 * against the trace. Also the state link (checkStateLinkTx): one 2048-byte state leaf of a
 * next-state tensor proved in the state root and, as 16 trace leaves, in the trace root.
 *
 * Graphs are the canonical MLP graphs (sdk buildGraph) of layers [K, 128, 10], batch 64, relu,
 * softmax-cross-entropy; tensor data are dense random fp32 (no zero bytes: the calldata worst case).
 * AdamW (adamw_update): ADAMW_STEP / ADAM_DIR elements through the RelayoutJudge with the step's
 * schedule row and its proof (a transaction to the view function, for its gasUsed).
 * Long reductions (long_k4096_total, long_k36864_total, long_k1048576_total): the gas of every move
 * of both sides from the point on, in the real game (sdk/testing/long-reduction.ts).
 * Run: `node scripts/bench/opcheck.ts` (or `npm run bench:opcheck`). The last line is one JSON object.
 */
import { network } from 'hardhat';
import { bytesToHex, encodeFunctionData, type Hex } from 'viem';
import {
  buildGraph,
  checkElement,
  completeSpec,
  elementReads,
  fp32Bits,
  fp32FromBits,
  MerkleTree,
  opLeaf,
  OpKind,
  OP_KIND_NAMES,
  parseJobSpec,
  readRanges,
  scheduleOpening,
  STATE_LEAF_BYTES,
  TensorTree,
  TRACE_LEAF_BYTES,
  type Graph,
  type OpDesc,
  type OpKindCode,
  type Tensor,
} from '../../sdk/index.ts';
import { exampleSpec, playLongReduction } from '../../sdk/testing/index.ts';

const { viem } = await network.create();
const publicClient = await viem.getPublicClient();
const harness = await viem.deployContract('OpCheckProofHarness');

let seed = 12345;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
/** Dense values in ±[0.01, 1): every byte of the encoding is (almost always) nonzero. */
const dense = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rnd() < 0.5 ? -1 : 1) * (0.01 + 0.99 * rnd()));
const randomRoot = (): Uint8Array => Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256));
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The float64 result of the op on the element's reads, rounded once (an honest y). */
function honestY(op: OpDesc, a: Uint32Array, b: Uint32Array): number {
  const v = (x: number | undefined): number => fp32FromBits(x ?? 0);
  const c = v(op.params[0]);
  switch (op.kind) {
    case OpKind.MATMUL:
      return fp32Bits(Array.from(a).reduce((s, x, i) => s + v(x) * v(b[i]), 0));
    case OpKind.ROW_SUM:
      return fp32Bits(Array.from(a).reduce((s, x) => s + v(x), 0));
    case OpKind.ROW_MAX:
      return fp32Bits(Math.max(...Array.from(a, v)));
    case OpKind.BIAS_ADD:
      return fp32Bits(v(a[0]) + v(b[0]));
    case OpKind.SUB_ROW:
      return fp32Bits(v(a[0]) - v(b[0]));
    case OpKind.DIV_ROW:
      return fp32Bits(v(a[0]) / v(b[0]));
    case OpKind.EXP:
      return fp32Bits(Math.exp(v(a[0])));
    case OpKind.RELU:
      return fp32Bits(Math.max(v(a[0]), 0));
    case OpKind.SCALED_DIFF:
      return fp32Bits((v(a[0]) - v(b[0])) * c);
    case OpKind.SGD_VELOCITY:
      return fp32Bits(c * v(a[0]) + v(b[0]));
    case OpKind.SGD_WEIGHT:
      return fp32Bits(v(a[0]) - c * v(b[0]));
    case OpKind.ADAMW_STEP: // params [λ, lr]
      return fp32Bits(v(a[0]) - v(op.params[1]) * (v(b[0]) + c * v(a[0])));
    case OpKind.ADAM_DIR: // params [ε, bc1, bc2]
      return fp32Bits(v(a[0]) / v(op.params[1]) / (Math.sqrt(v(b[0]) / v(op.params[2])) + c));
    default:
      throw new RangeError(`no honest model for kind ${op.kind}`);
  }
}

interface Measured {
  gas: bigint;
  calldataBytes: number;
  /** EIP-7623 tokens: zero bytes + 4 × nonzero bytes. */
  tokens: number;
  /** Gas used inside LibOpCheck.checkOpElement (proofs and verdict; no calldata, no ABI decoding). */
  inner: bigint;
  valid: boolean;
}

/** Gas of checking element `element` of the first op of `kind` (after `skip` such ops) in the graph of [K, 128, 10]. */
async function measure(k: number, kind: OpKindCode, element: number, skip = 0): Promise<Measured> {
  const input = exampleSpec();
  const spec = parseJobSpec({ ...input, model: { ...input.model, layers: [k, 128, 10] } });
  const graph = buildGraph(spec);
  const indices = graph.ops.flatMap((o, i) => (o.kind === kind ? [i] : []));
  const opIndex = indices[skip];
  if (opIndex === undefined) throw new RangeError(`no op of kind ${kind}`);
  return measureOp(graph, opIndex, element);
}

/**
 * Real openings of element `element` of op `opIndex` of `graph` (the solver's side), with its reads
 * and an honest y. `stepOp` is the op as the step runs it (the schedule row's values appended).
 */
function openElement(graph: Graph, opIndex: number, element: number, stepOp: OpDesc = graph.ops[opIndex] as OpDesc) {
  const op = graph.ops[opIndex] as OpDesc;

  // Real tensors for the op's inputs and output; random roots for every other trace tensor (the
  // state copies first, then the op outputs: §3.1).
  const S = graph.state.length;
  const position = (space: number, index: number): number => (space === 0 ? index : S + index);
  const traceRoots = [...graph.state, ...graph.ops].map(() => randomRoot());
  const inputTrees = op.inputs.map((inp) => {
    const data = dense(count(inp.shape));
    if ((op.kind === OpKind.DIV_ROW || op.kind === OpKind.ADAM_DIR) && inp === op.inputs[1])
      data.forEach((x, i) => {
        data[i] = Math.abs(x) + 1;
      });
    const tree = new TensorTree({ shape: inp.shape, data } satisfies Tensor, TRACE_LEAF_BYTES);
    traceRoots[position(inp.space, inp.index)] = Buffer.from(tree.root.slice(2), 'hex');
    return tree;
  });
  const reads = elementReads(
    op,
    inputTrees.map((t) => t.tensor.data),
    element,
  );
  const out = dense(count(op.shape));
  out[element] = fp32FromBits(honestY(stepOp, reads.a, reads.b));
  const outTree = new TensorTree({ shape: op.shape, data: out }, TRACE_LEAF_BYTES);
  traceRoots[S + opIndex] = Buffer.from(outTree.root.slice(2), 'hex');

  const join = (xs: Uint8Array[]): Uint8Array => Uint8Array.from(xs.flatMap((x) => [...x]));
  const traceTree = new MerkleTree(join(traceRoots));
  const graphTree = new MerkleTree(join(graph.ops.map(opLeaf)));

  // The ranges the element reads (§4.1), as the solver opens them.
  const ranges = readRanges(op, element);
  const rangeOf = (j: number): [number, number] => [ranges[j]?.first ?? 0, ranges[j]?.count ?? 0];
  const inputs = op.inputs.map((inp, j) => {
    const o = (inputTrees[j] as TensorTree).open(...rangeOf(j));
    return { leaves: bytesToHex(o.leaves), leafProof: [...o.proof.siblings], rootProof: [...traceTree.rangeProof(position(inp.space, inp.index), 1).siblings] };
  });
  const oo = outTree.open(element, 1);
  const output = { leaves: bytesToHex(oo.leaves), leafProof: [...oo.proof.siblings], rootProof: [...traceTree.rangeProof(S + opIndex, 1).siblings] };
  const roots = { graphRoot: graphTree.root, opCount: BigInt(graph.ops.length), stateCount: BigInt(graph.state.length), traceRoot: traceTree.root };
  const desc = {
    kind: op.kind,
    shape: [...op.shape],
    inputs: op.inputs.map((i) => ({ space: i.space, index: i.index, shape: [...i.shape] })),
    params: [...op.params],
  };
  const args = [roots, desc, BigInt(opIndex), [...graphTree.rangeProof(opIndex, 1).siblings], BigInt(element), inputs, output] as const;
  const expected = checkElement(stepOp.kind, stepOp.params, reads.a, reads.b, fp32Bits(out[element]), reads.position);
  return { args, expected };
}

/** Gas of checking element `element` of op `opIndex` of `graph`. */
async function measureOp(graph: Graph, opIndex: number, element: number): Promise<Measured> {
  const op = graph.ops[opIndex] as OpDesc;
  const { args, expected } = openElement(graph, opIndex, element);
  const [valid, inner] = await harness.read.checkOpElementGas(args);
  if (valid !== expected) throw new Error(`chain and sdk disagree on ${OP_KIND_NAMES[op.kind]}`);
  return { ...(await sent(await harness.write.checkOpElementTx(args))), inner, valid };
}

/** gasUsed and calldata of a mined check transaction. */
async function sent(hash: Hex): Promise<Omit<Measured, 'inner' | 'valid'>> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error('check reverted');
  const tx = await publicClient.getTransaction({ hash });
  const bytes = Buffer.from(tx.input.slice(2), 'hex');
  const zeros = bytes.filter((x) => x === 0).length;
  return { gas: receipt.gasUsed, calldataBytes: bytes.length, tokens: zeros + 4 * (bytes.length - zeros) };
}

/** Gas of linking element `element` of next-state tensor `t` (graph of [K, 128, 10]) to the trace. */
async function measureLink(k: number, t: number, element: number): Promise<Measured> {
  const input = exampleSpec();
  const graph = buildGraph(parseJobSpec({ ...input, model: { ...input.model, layers: [k, 128, 10] } }));
  const S = graph.state.length;
  const n = graph.ops.length;
  const shape = (graph.state[t] as { shape: readonly number[] }).shape;
  const tensor: Tensor = { shape, data: dense(count(shape)) };
  const stateTensor = new TensorTree(tensor);
  const traceTensor = new TensorTree(tensor, TRACE_LEAF_BYTES);
  const stateRoots = graph.state.map(() => randomRoot());
  stateRoots[t] = Buffer.from(stateTensor.root.slice(2), 'hex');
  const traceRoots = [...graph.state, ...graph.ops].map(() => randomRoot());
  traceRoots[n + t] = Buffer.from(traceTensor.root.slice(2), 'hex'); // op n - S + t outputs next-state tensor t
  const join = (xs: Uint8Array[]): Uint8Array => Uint8Array.from(xs.flatMap((x) => [...x]));
  const stateTree = new MerkleTree(join(stateRoots));
  const traceTree = new MerkleTree(join(traceRoots));
  const s = stateTensor.open(element, 1);
  const perLeaf = STATE_LEAF_BYTES / 4;
  const first = Math.floor(element / perLeaf) * perLeaf;
  const tr = traceTensor.open(first, Math.min(perLeaf, count(shape) - first));
  const opening = {
    shape: [...shape],
    block: bytesToHex(s.leaves),
    stateLeafProof: [...s.proof.siblings],
    stateRootProof: [...stateTree.rangeProof(t, 1).siblings],
    traceLeafProof: [...tr.proof.siblings],
    traceRootProof: [...traceTree.rangeProof(n + t, 1).siblings],
  };
  const args = [stateTree.root, BigInt(S), BigInt(t), traceTree.root, BigInt(S + n), BigInt(n + t), BigInt(element), opening] as const;
  const [valid, inner] = await harness.read.checkStateLinkGas(args);
  if (!valid) throw new Error('the state link does not hold');
  return { ...(await sent(await harness.write.checkStateLinkTx(args))), inner, valid };
}

function report(name: string, m: Measured): bigint {
  // Prague (EIP-7623) charges max(21000 + 4·tokens + execution, 21000 + 10·tokens) with
  // tokens = zero bytes + 4·nonzero bytes; the second term dominates for leaf-heavy calldata.
  const floor = 21_000 + 10 * m.tokens;
  const standard = 21_000 + 4 * m.tokens;
  const bound = Number(m.gas) === floor ? 'calldata floor' : 'execution';
  console.log(
    `${name.padEnd(26)} gas ${m.gas.toString().padStart(9)} (${bound})  calldata ${String(m.calldataBytes).padStart(6)} B: ` +
      `4/16 cost ${String(standard).padStart(7)}, 7623 floor ${String(floor).padStart(7)};  check ${(m.inner === 0n ? '-' : m.inner.toString()).padStart(7)}  ${m.valid ? 'valid' : 'invalid'}`,
  );
  return m.gas;
}
const run = async (name: string, k: number, kind: OpKindCode, element: number, skip = 0): Promise<bigint> =>
  report(name, await measure(k, kind, element, skip));

const E_MM = 17 * 128 + 77; // element (17, 77) of [64, 128]
const matmul_k128 = await run('matmul K=128', 128, OpKind.MATMUL, E_MM);
const matmul_k784 = await run('matmul K=784', 784, OpKind.MATMUL, E_MM);
const matmul_k1024 = await run('matmul K=1024', 1024, OpKind.MATMUL, E_MM);
// The old fan-in cap: a direct opening of 4096 terms (longer rows are judged by claims, below).
const matmul_k4096 = await run('matmul K=4096', 4096, OpKind.MATMUL, E_MM);
const bias_add = await run('bias_add [64,128]', 784, OpKind.BIAS_ADD, E_MM);
const relu = await run('relu [64,128]', 784, OpKind.RELU, E_MM);
const xent: [string, bigint][] = [];
for (const [name, kind] of [
  ['row_max', OpKind.ROW_MAX],
  ['sub_row', OpKind.SUB_ROW],
  ['exp', OpKind.EXP],
  ['row_sum', OpKind.ROW_SUM],
  ['div_row', OpKind.DIV_ROW],
  ['scaled_diff', OpKind.SCALED_DIFF],
] as const) {
  const e = kind === OpKind.ROW_MAX || kind === OpKind.ROW_SUM ? 17 : 17 * 10 + 3;
  xent.push([name, await run(`softmax_xent.${name}`, 784, kind, e)]);
}
const worstXent = xent.reduce((w, x) => (x[1] > w[1] ? x : w));
const velocity = await run('sgd_velocity Wt1 [128,784]', 784, OpKind.SGD_VELOCITY, 77 * 784 + 300);
const weight = await run('sgd_weight Wt1 [128,784]', 784, OpKind.SGD_WEIGHT, 77 * 784 + 300);
// Spec v2: a conv net on [16, 16, 32] inputs, two 3x3 'same' convs of 64 filters, a 4x4 max pool, batch 8.
// conv2d_fwd: an element of layer2.conv, the MATMUL of a PATCHES row (K = 9·64 = 576) and a filter
// row; conv2d_grad_input: an element of layer2.grad.in, the MATMUL of a row of the padded
// gradient's patches (K = 9·64 = 576) and a row of the flipped filters.
const { graphRoot: _unused, ...v1 } = exampleSpec();
const cnn = buildGraph(
  completeSpec({
    ...v1,
    version: 2,
    model: {
      input: [16, 16, 32],
      layers: [
        { type: 'conv2d', filters: 64, kernel: 3, padding: 'same' },
        { type: 'relu' },
        { type: 'conv2d', filters: 64, kernel: 3, padding: 'same' },
        { type: 'maxpool2d', size: 4 },
        { type: 'flatten' },
        { type: 'dense', units: 10 },
      ],
      loss: 'softmax-xent',
      initSeed: v1.model.initSeed,
    },
    training: { ...v1.training, batchSize: 8 },
  }),
);
const opNamed = (name: string): number => {
  const i = cnn.ops.findIndex((o) => o.name === name);
  if (i < 0) throw new RangeError(`no op ${name}`);
  return i;
};
const conv2dFwd = report('conv2d_fwd K=576', await measureOp(cnn, opNamed('layer2.conv'), 300 * 64 + 17));
const conv2dGradInput = report('conv2d_grad_input K=576', await measureOp(cnn, opNamed('layer2.grad.in'), 300 * 64 + 17));
// Next-state Wt1 (state tensor 4 of [vWt1, vb1, vWt2, vb2, Wt1, b1, Wt2, b2]); the copy link is the same check.
const stateLink = report('state_link Wt1 [128,784]', await measureLink(784, 4, 77 * 784 + 300));
// AdamW (§3.5): ADAMW_STEP and ADAM_DIR of Wt1 [128, 784] in an AdamW MLP [784, 128, 10] with
// warmup + cosine, through the RelayoutJudge, the step's schedule row opened against scheduleRoot;
// adamw_update is the dearer of the two (ADAM_M and ADAM_V read no row and cost less).
const adamSpec = completeSpec({
  ...v1,
  version: 2,
  model: {
    input: [784],
    layers: [{ type: 'dense', units: 128 }, { type: 'relu' }, { type: 'dense', units: 10 }],
    loss: 'softmax-xent',
    initSeed: v1.model.initSeed,
  },
  optimizer: {
    kind: 'adamw',
    learningRate: 0.002,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0.01,
    schedule: { kind: 'warmup-cosine', warmupSteps: 20, finalLearningRate: 0.0001 },
  },
});
if (adamSpec.optimizer.kind !== 'adamw') throw new Error('an AdamW spec');
const adamw = adamSpec.optimizer;
const adamGraph = buildGraph(adamSpec);
const relayoutJudge = await viem.deployContract('RelayoutJudge');
const [sender] = await viem.getWalletClients();
if (sender === undefined) throw new Error('no wallet');
const measureAdam = async (name: string, element: number): Promise<bigint> => {
  const opIndex = adamGraph.ops.findIndex((o) => o.name === name);
  const graphOp = adamGraph.ops[opIndex];
  if (graphOp === undefined) throw new RangeError(`no op ${name}`);
  const steps = adamSpec.training.steps;
  const step = Math.floor(steps / 2);
  const { row, proof } = scheduleOpening(adamw, steps, step);
  const stepOp = {
    ...graphOp,
    params: [...graphOp.params, ...(graphOp.kind === OpKind.ADAM_DIR ? [fp32Bits(row.bc1), fp32Bits(row.bc2)] : [fp32Bits(row.lr)])],
  };
  const { args, expected } = openElement(adamGraph, opIndex, element, stepOp);
  const adamArgs = [
    ...args,
    { root: adamw.scheduleRoot, steps: BigInt(steps), step: BigInt(step) },
    { lr: fp32Bits(row.lr), bc1: fp32Bits(row.bc1), bc2: fp32Bits(row.bc2), proof: [...proof] },
  ] as const;
  const valid = await relayoutJudge.read.checkAdamElement(adamArgs);
  if (valid !== expected) throw new Error(`chain and sdk disagree on ${name}`);
  const data = encodeFunctionData({ abi: relayoutJudge.abi, functionName: 'checkAdamElement', args: adamArgs });
  const m = await sent(await sender.sendTransaction({ to: relayoutJudge.address, data }));
  return report(`adamw ${name}`, { ...m, inner: 0n, valid });
};
const adamStep = await measureAdam('update.Wt1', 77 * 784 + 300);
const adamDir = await measureAdam('update.u_Wt1', 77 * 784 + 300);
console.log(`softmax_xent worst op: ${worstXent[0]}; sgd worst: ${velocity >= weight ? 'sgd_velocity' : 'sgd_weight'}`);
// Long reductions (§5 step 4b): the whole adjudication in the real game, every move from the point
// on, down to one chunk (K = 4096: the old cap; 36,864: a small CNN's conv weight gradient; 2^20: MAX_FAN_IN).
const long: Record<string, number> = {};
for (const k of [4096, 36_864, 2 ** 20]) {
  const lc = await network.create();
  const [w0, w1, w2, w3] = await lc.viem.getWalletClients();
  if (!w0 || !w1 || !w2 || !w3) throw new Error('need four accounts');
  const m = await playLongReduction({ publicClient: await lc.viem.getPublicClient(), wallets: [w0, w1, w2, w3], k });
  if (m.outcome !== 'SolverWon') throw new Error(`the honest solver lost the long reduction K=${k}: ${m.outcome}`);
  console.log(`long K=${String(k).padEnd(8)} total ${String(m.total).padStart(9)}  ${m.moves.map((x) => `${x.move} ${x.gasUsed}`).join(', ')}`);
  long[`long_k${k}_total`] = m.total;
}
console.log(
  JSON.stringify({
    bench: 'opcheck',
    matmul_k128: Number(matmul_k128),
    matmul_k784: Number(matmul_k784),
    matmul_k1024: Number(matmul_k1024),
    matmul_k4096: Number(matmul_k4096),
    bias_add: Number(bias_add),
    relu: Number(relu),
    softmax_xent: Number(worstXent[1]),
    softmax_xent_op: worstXent[0],
    sgd_momentum: Number(velocity >= weight ? velocity : weight),
    state_link: Number(stateLink),
    conv2d_fwd: Number(conv2dFwd),
    conv2d_grad_input: Number(conv2dGradInput),
    adamw_update: Number(adamStep >= adamDir ? adamStep : adamDir),
    ...long,
  }),
);
