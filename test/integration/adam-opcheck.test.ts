// Differential tests for the AdamW op kinds (ADAM_M 26, ADAM_V 27, ADAM_DIR 28, ADAMW_STEP 29):
// the chain's verdicts (LibOpAdam) against sdk/tolerance/exact.ts, on real elements of an AdamW
// job trained on wasm (warmup + cosine) and on adversarial cases (overflowing intermediates, a
// negative second moment, subnormals, specials); then the RelayoutJudge on real openings with
// the step's schedule row opened by proof, and a cheating solver caught at the update.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { network } from 'hardhat';
import { encodeFunctionData } from 'viem';
import {
  buildGraph,
  checkElement,
  checkOutput,
  completeSpec,
  elementReads,
  findFault,
  fp32Bits,
  fp32FromBits,
  loadMnist,
  opForStep,
  opInputs,
  OpKind,
  scheduleOpening,
  StepProofs,
  type JobSpec,
  type OpDesc,
  type StepData,
} from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';
import { INF, isFiniteBits, MAX_F32, NAN, NEG_INF, NEG_ZERO, rng, tracedStep, yAround } from './helpers/opcheck.ts';

const { viem } = await network.create();
const mnist = loadMnist();
const STEPS = 40;

/** A small AdamW job: one hidden layer, warmup then cosine decay. */
function adamSpec(): JobSpec {
  const { graphRoot: _unused, ...input } = exampleSpec();
  return completeSpec({
    ...input,
    version: 2,
    model: {
      input: [784],
      layers: [{ type: 'dense', units: 16 }, { type: 'relu' }, { type: 'dense', units: 10 }],
      loss: 'softmax-xent',
      initSeed: input.model.initSeed,
    },
    optimizer: {
      kind: 'adamw',
      learningRate: 0.002,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
      schedule: { kind: 'warmup-cosine', warmupSteps: 4, finalLearningRate: 0.0001 },
    },
    training: { steps: STEPS, checkpointInterval: 10, batchSize: 8 },
    data: { ...input.data, recordCount: mnist.count },
  });
}

const ADAM_KINDS = new Set<number>([OpKind.ADAM_M, OpKind.ADAM_V, OpKind.ADAM_DIR, OpKind.ADAMW_STEP]);

const f = Math.fround;

interface Case {
  kind: number;
  params: number[];
  a: number;
  b: number;
  y: number;
}

const ref = (c: Omit<Case, 'y'>, y: number): boolean => checkElement(c.kind, c.params, Uint32Array.of(c.a), Uint32Array.of(c.b), y);

/** The engine's formula in fp32, operation by operation (executor.ts), as an honest solver computes it. */
function honest(kind: number, params: readonly number[], a: number, b: number): number {
  const [p0, p1, p2] = params.map(fp32FromBits) as [number, number, number];
  const [x, g] = [fp32FromBits(a), fp32FromBits(b)];
  switch (kind) {
    case OpKind.ADAM_M:
      return fp32Bits(f(f(x * p0) + f(g * p1)));
    case OpKind.ADAM_V:
      return fp32Bits(f(f(x * p0) + f(f(g * g) * p1)));
    case OpKind.ADAM_DIR:
      return fp32Bits(f(f(x / p1) / f(f(Math.sqrt(f(g / p2))) + p0)));
    default:
      return fp32Bits(f(x - f(f(g + f(x * p0)) * p1)));
  }
}

describe('AdamW ops: LibOpAdam agrees with sdk/tolerance', () => {
  let harness: Awaited<ReturnType<typeof viem.deployContract<'AdamHarness'>>>;
  const spec = adamSpec();
  const graph = buildGraph(spec);
  let step: StepData;
  before(async () => {
    harness = await viem.deployContract('AdamHarness');
    step = await tracedStep(spec, graph, mnist.records, 3);
  });

  async function compare(cases: Case[]): Promise<{ valid: number; invalid: number }> {
    let valid = 0;
    for (let i = 0; i < cases.length; i += 200) {
      const chunk = cases.slice(i, i + 200);
      const got = await harness.read.checkElements([chunk]);
      chunk.forEach((c, j) => {
        const want = ref(c, c.y);
        assert.equal(
          got[j],
          want,
          `kind ${c.kind} params [${c.params.map((p) => p.toString(16)).join(',')}] a ${c.a.toString(16)} b ${c.b.toString(16)} y ${c.y.toString(16)}`,
        );
        if (want) valid++;
      });
    }
    return { valid, invalid: cases.length - valid };
  }

  it('verdicts on traced elements of every AdamW op (honest, ±1 ulp, the edges, zeros, specials) agree', async () => {
    const cases: Case[] = [];
    const r = rng(5);
    for (const [i, graphOp] of graph.ops.entries()) {
      if (!ADAM_KINDS.has(graphOp.kind)) continue;
      const op = opForStep(graphOp, step.batch);
      const inputs = opInputs(
        op,
        step.before.map((t) => t.data),
        step.trace,
        step.batch,
      );
      const out = step.trace[i] as Float32Array;
      const n = out.length;
      for (const e of new Set([0, n - 1, ...Array.from({ length: 12 }, () => Math.floor(r() * n))])) {
        const reads = elementReads(op, inputs, e);
        const c = { kind: op.kind, params: [...op.params], a: reads.a[0] as number, b: reads.b[0] as number };
        const y = fp32Bits(out[e] as number);
        assert.ok(ref(c, y), `${op.name}[${e}] honest output rejected by the reference`);
        for (const v of yAround((v) => ref(c, v), y)) cases.push({ ...c, y: v });
      }
    }
    const { valid, invalid } = await compare(cases);
    assert.ok(valid > 300 && invalid > 300, `${valid} valid, ${invalid} invalid`);
  });

  it('random and wide inputs, subnormals, specials: the fp32 evaluation is valid and the verdicts agree around it', async () => {
    const r = rng(9);
    const wide = (lo = -125, span = 250): number => fp32Bits((r() - 0.5) * 2 ** Math.floor(r() * span + lo));
    const cases: Case[] = [];
    const params = (kind: number): number[] => {
      const beta = fp32Bits(0.5 + r() * 0.4999);
      if (kind === OpKind.ADAM_M || kind === OpKind.ADAM_V) return [beta, fp32Bits(1 - fp32FromBits(beta))];
      if (kind === OpKind.ADAM_DIR) return [fp32Bits(2 ** -(1 + Math.floor(r() * 29))), fp32Bits(0.001 + r()), fp32Bits(0.0001 + r())];
      return [fp32Bits(r() * 0.1), fp32Bits(r() * 0.01)];
    };
    for (const kind of ADAM_KINDS) {
      for (let j = 0; j < 40; j++) {
        const p = params(kind);
        const a = j % 4 === 0 ? Math.floor(r() * 0x00800000) : wide();
        const b = kind === OpKind.ADAM_DIR ? wide() & 0x7fffffff : j % 5 === 0 ? Math.floor(r() * 0x00800000) : wide(-60, 120);
        const c = { kind, params: p, a, b };
        const y = honest(kind, p, a, b);
        assert.ok(ref(c, y), `kind ${kind} a ${a.toString(16)} b ${b.toString(16)}: the fp32 evaluation ${y.toString(16)} is rejected`);
        for (const v of yAround((v) => ref(c, v), y)) cases.push({ ...c, y: v });
      }
      for (const a of [NAN, INF, NEG_INF]) for (const y of [0, INF, NAN]) cases.push({ kind, params: params(kind), a, b: 0x3f800000, y });
      cases.push({ kind, params: params(kind).map((v, i) => (i === 0 ? NAN : v)), a: 0x3f800000, b: 0x3f800000, y: NAN });
    }
    const { valid, invalid } = await compare(cases);
    assert.ok(valid > 300 && invalid > 300, `${valid} valid, ${invalid} invalid`);
  });

  it('overflowing intermediates never cost an honest solver: m/bc1 or v/bc2 at the fp32 limit, a quotient past Ω', async () => {
    const one = fp32Bits(1);
    const half = fp32Bits(0.5);
    const eps = fp32Bits(1e-8);
    const cases: Case[] = [];
    const dir = (m: number, v: number, bc1 = one, bc2 = half, e = eps) => ({ kind: OpKind.ADAM_DIR, params: [e, bc1, bc2], a: m, b: v });
    const extremes = [
      dir(fp32Bits(1e38), fp32Bits(3e38)), // v/bc2 = 6e38 overflows: sqrt(+Inf) = +Inf, m/Inf = +0
      dir(fp32Bits(-1e38), MAX_F32), // the same, negative: -0
      dir(MAX_F32, fp32Bits(1), fp32Bits(0.5)), // m/bc1 overflows: +Inf
      dir(fp32Bits(1e31), 0), // the quotient 1e39 itself overflows: +Inf by rule 4
      dir(fp32Bits(-1e31), fp32Bits(1e-30)), // and -Inf
      dir(MAX_F32, MAX_F32, fp32Bits(0.25), fp32Bits(0.25)), // both overflow: Inf / Inf = NaN
    ];
    for (const c of extremes) {
      const y = honest(c.kind, c.params, c.a, c.b);
      assert.ok(ref(c, y), `ADAM_DIR m ${fp32FromBits(c.a)} v ${fp32FromBits(c.b)}: the honest ${fp32FromBits(y)} is rejected`);
      for (const v of yAround((v) => ref(c, v), y)) cases.push({ ...c, y: v });
    }
    // Products then sums: ADAM_M / ADAM_V / ADAMW_STEP past Ω.
    const sums = [
      { kind: OpKind.ADAM_M, params: [fp32Bits(0.9), fp32Bits(0.5)], a: MAX_F32, b: MAX_F32 },
      { kind: OpKind.ADAM_V, params: [fp32Bits(0.999), fp32Bits(0.001)], a: MAX_F32, b: fp32Bits(1e20) },
      { kind: OpKind.ADAMW_STEP, params: [fp32Bits(2), fp32Bits(1)], a: fp32Bits(-3e38), b: fp32Bits(3e38) },
    ];
    for (const c of sums) {
      const y = honest(c.kind, c.params, c.a, c.b);
      assert.ok(!isFiniteBits(y) && ref(c, y), `kind ${c.kind}: the honest ${fp32FromBits(y)} is rejected`);
      for (const v of yAround((v) => ref(c, v), y)) cases.push({ ...c, y: v });
    }
    const { valid, invalid } = await compare(cases);
    assert.ok(valid > 30 && invalid > 30, `${valid} valid, ${invalid} invalid`);
    // Where nothing overflows, the excuses do not apply: ±0 and Inf are fraud for a plain element.
    const plain = dir(fp32Bits(0.01), fp32Bits(1e-4));
    assert.equal(ref(plain, 0), false);
    assert.equal(ref(plain, INF), false);
    assert.equal(ref(dir(fp32Bits(1e31), 0), NEG_INF), false, 'the quotient is positive');
  });

  it('a negative second moment leaves x undefined (only a non-finite y is valid); ε <= 0 does not fit the kind', async () => {
    const c = { kind: OpKind.ADAM_DIR, params: [fp32Bits(1e-8), fp32Bits(0.1), fp32Bits(0.01)], a: fp32Bits(0.5), b: fp32Bits(-1e-6) };
    const cases = [0, NEG_ZERO, fp32Bits(1), INF, NEG_INF, NAN].map((y) => ({ ...c, y }));
    await compare(cases);
    assert.equal(ref(c, fp32Bits(1)), false);
    assert.equal(ref(c, NAN), true);
    assert.equal(ref({ ...c, b: NEG_ZERO }, honest(c.kind, c.params, c.a, 0)), true, '-0 is not negative');
    for (const e of [0, NEG_ZERO, fp32Bits(-1e-8)]) {
      const bad = { ...c, params: [e, fp32Bits(0.1), fp32Bits(0.01)], b: fp32Bits(1e-6) };
      assert.throws(() => ref(bad, 0), /ε > 0/);
      await assert.rejects(harness.read.checkElements([[{ ...bad, y: 0 }]]), /AdamParamsInvalid/);
    }
  });

  it('the float64 screen flags no honest element and only what the exact rule rejects', () => {
    for (const [i, graphOp] of graph.ops.entries()) {
      if (!ADAM_KINDS.has(graphOp.kind)) continue;
      const op = opForStep(graphOp, step.batch);
      const inputs = opInputs(
        op,
        step.before.map((t) => t.data),
        step.trace,
        step.batch,
      );
      assert.deepEqual(checkOutput(op, inputs, step.trace[i] as Float32Array).violations, [], op.name);
    }
    // The overflow excuses, elementwise: y = +0 where v/bc2 may overflow, +Inf where the quotient does.
    const op: OpDesc = {
      name: 'dir',
      kind: OpKind.ADAM_DIR,
      shape: [3],
      inputs: [
        { space: 1, index: 0, shape: [3] },
        { space: 1, index: 1, shape: [3] },
      ],
      params: [fp32Bits(1e-8), fp32Bits(1), fp32Bits(0.5)],
    };
    const m = Float32Array.of(1e38, 1e31, 0.01);
    const v = Float32Array.of(3e38, 0, 1e-4);
    assert.deepEqual(checkOutput(op, [m, v], Float32Array.of(0, Infinity, 0)).violations, [2]);
  });
});

describe('the RelayoutJudge on an AdamW trace: the schedule row is opened by proof, a cheater is caught at the update', () => {
  let judge: Awaited<ReturnType<typeof viem.deployContract<'RelayoutJudge'>>>;
  const spec = adamSpec();
  const graph = buildGraph(spec);
  const adamw = spec.optimizer.kind === 'adamw' ? spec.optimizer : assert.fail('an AdamW spec');
  let step: StepData;
  before(async () => {
    judge = await viem.deployContract('RelayoutJudge');
    step = await tracedStep(spec, graph, mnist.records, 6); // step 5: past the warmup, so lr is on the cosine
  });

  const roots = (p: StepProofs) => ({
    graphRoot: graph.opsRoot,
    opCount: BigInt(graph.ops.length),
    stateCount: BigInt(graph.state.length),
    traceRoot: p.traceRoot,
  });
  const schedule = (s: number) => ({ root: adamw.scheduleRoot, steps: BigInt(STEPS), step: BigInt(s) });
  const rowArg = (s: number) => {
    const { row, proof } = scheduleOpening(adamw, STEPS, s);
    return { lr: fp32Bits(row.lr), bc1: fp32Bits(row.bc1), bc2: fp32Bits(row.bc2), proof: [...proof] };
  };
  const args = (p: StepProofs, op: number, e: number, s = step.step, row = rowArg(step.step)) => {
    const o = p.element(op, e);
    return [roots(p), o.op, BigInt(op), o.opProof, BigInt(e), o.inputs, o.output, schedule(s), row] as const;
  };
  const adamOps = (): number[] => graph.ops.flatMap((o, i) => (ADAM_KINDS.has(o.kind) ? [i] : []));

  it('honest elements of every AdamW op are valid, with the row of the disputed step', async () => {
    const p = new StepProofs(graph, step);
    let checked = 0;
    for (const i of adamOps()) {
      const n = (graph.ops[i] as OpDesc).shape.reduce((x, y) => x * y, 1);
      for (const e of new Set([0, n - 1, Math.floor(n / 3)])) {
        assert.equal(await judge.read.checkAdamElement(args(p, i, e)), true, `${graph.ops[i]?.name}[${e}]`);
        checked++;
      }
    }
    assert.ok(checked >= 24, `${checked} elements`);
  });

  it("another step's row, a row with a changed lr, or a step past the table reverts (AdamScheduleRowInvalid)", async () => {
    const p = new StepProofs(graph, step);
    const update = graph.ops.findIndex((o) => o.kind === OpKind.ADAMW_STEP);
    const direction = graph.ops.findIndex((o) => o.kind === OpKind.ADAM_DIR);
    const row = rowArg(step.step);
    await assert.rejects(judge.read.checkAdamElement(args(p, update, 0, step.step, rowArg(step.step + 1))), /AdamScheduleRowInvalid/);
    await assert.rejects(
      judge.read.checkAdamElement(args(p, update, 0, step.step, { ...row, lr: fp32Bits(2 * fp32FromBits(row.lr)) })),
      /AdamScheduleRowInvalid/,
    );
    await assert.rejects(judge.read.checkAdamElement(args(p, direction, 0, step.step, { ...row, bc2: fp32Bits(1) })), /AdamScheduleRowInvalid/);
    await assert.rejects(judge.read.checkAdamElement(args(p, update, 0, STEPS, row)), /AdamScheduleRowInvalid/);
    // ADAM_M reads no row: any row passes.
    const moment = graph.ops.findIndex((o) => o.kind === OpKind.ADAM_M);
    assert.equal(await judge.read.checkAdamElement(args(p, moment, 0, step.step, { ...row, proof: [] })), true);
  });

  it('a solver that updates with twice the step’s learning rate is caught at ADAMW_STEP', async () => {
    const update = graph.ops.findIndex((o) => o.kind === OpKind.ADAMW_STEP);
    const op = opForStep(graph.ops[update] as OpDesc, step.batch);
    const [theta, u] = opInputs(
      op,
      step.before.map((t) => t.data),
      step.trace,
      step.batch,
    ) as [Float32Array, Float32Array];
    const lr = 2 * (step.batch.schedule?.lr ?? 0);
    const lambda = fp32FromBits(op.params[0] as number);
    const cheated = (e: number): number => f((theta[e] as number) - f(lr * f((u[e] as number) + f(lambda * (theta[e] as number)))));
    const trace = step.trace.map((t, i) => (i === update ? t.map((_, e) => cheated(e)) : t));
    const cheat: StepData = { ...step, trace };
    const fault = findFault(graph, cheat);
    assert.ok(fault?.kind === 'element' && fault.op === update, JSON.stringify(fault));
    const p = new StepProofs(graph, cheat);
    assert.equal(await judge.read.checkAdamElement(args(p, update, fault.element)), false);
  });

  it('gas: one element of each AdamW kind with its proofs and row stays far under 1M', async (t) => {
    const publicClient = await viem.getPublicClient();
    const p = new StepProofs(graph, step);
    const seen: string[] = [];
    for (const i of adamOps()) {
      const op = graph.ops[i] as OpDesc;
      const e = Math.floor(op.shape.reduce((x, y) => x * y, 1) / 3);
      const data = encodeFunctionData({ abi: judge.abi, functionName: 'checkAdamElement', args: args(p, i, e) });
      const gas = await publicClient.estimateGas({ to: judge.address, data });
      assert.ok(gas < 1_000_000n, `${op.name}: ${gas} gas`);
      seen.push(`${op.name} ${gas}`);
    }
    t.diagnostic(`AdamW element checks (eth_estimateGas, RelayoutJudge): ${seen.join(', ')}`);
  });
});
