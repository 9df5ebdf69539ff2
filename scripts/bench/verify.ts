// bench:verify: how often the verifier catches a solver that fakes a fraction f of intervals, and
// what it spends, in one run.
// Last line: {"bench":"verify","fake_fraction":…,"trials":…,"detection_rate":…,"predicted":…,"compute_fraction":…,…}
//
// MEASURED (real tfjs work, this run): a solver trains intervals of the MNIST MLP on cpu, honestly
// and with every fraud kind; the verifier re-executes them on its own backend (the real screen:
// decode and root-check both checkpoints, k steps, state distance), and judges each faked interval
// exactly from the solver's own states and traces (the real exact check). The per-interval cost of
// training (k steps + checkpoint root + encoding) and of screening are timed on the same backend.
// MODELLED: a long job of n intervals (default 1000, too long to train here) in which the solver
// fakes each interval with probability f (drawn afresh per trial); per trial the verifier draws its
// private sample with the real sampler (planSample + sampleIntervals), and each sampled interval's
// screen distance is one measured above (honest or of a random fraud kind), decided by the real
// screenVerdict; a flagged faked interval counts as caught only if the exact check caught that
// fraud kind above. compute_fraction = q·r / n, r the median of the paired screen/training cost ratios.
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  BACKENDS,
  buildGraph,
  completeSpec,
  createTrajectory,
  datasetRoot,
  decodeState,
  encodeState,
  initialState,
  loadMnist,
  MNIST_RECORD_BYTES,
  splitMnist,
  stateRoot,
  useBackend,
  type BackendName,
  type Tensor,
} from '../../sdk/index.ts';
import { exampleSpec, FRAUD_KINDS, fraudTransition, type FraudKind } from '../../sdk/testing/index.ts';
import { firstFault, servedChain } from '../../verifier/core/exact.ts';
import { detectionProbability, planSample, sampleIntervals, seededIntegers } from '../../verifier/core/sampling.ts';
import { calibrateThreshold, DEFAULT_SCREEN_THRESHOLD, reexecute, screenVerdict, stateDistance } from '../../verifier/core/screen.ts';

const { values: args } = parseArgs({
  options: {
    'fake-fraction': { type: 'string', default: '0.1' },
    budget: { type: 'string', default: '0.05' },
    intervals: { type: 'string', default: '1000' },
    trials: { type: 'string', default: '20000' },
    measured: { type: 'string', default: '12' },
    k: { type: 'string', default: '50' },
    solver: { type: 'string', default: 'cpu' },
    verifier: { type: 'string', default: 'wasm' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:verify -- [--fake-fraction 0.1] [--budget 0.05] [--intervals 1000] [--trials 20000]
       [--measured 12] [--k 50] [--solver ${BACKENDS.join('|')}] [--verifier ${BACKENDS.join('|')}] [--seed 0x<64 hex>]

Measures the screen and the exact check on real MNIST intervals, then the detection rate of the
real sampler and screen decision over many trials of a modelled long job (see the header of
scripts/bench/verify.ts for what is measured and what is modelled). Last line: one JSON object.`);
  process.exit(0);
}
const f = Number(args['fake-fraction']);
const budget = Number(args.budget);
const n = Number(args.intervals);
const trials = Number(args.trials);
const measured = Number(args.measured);
const k = Number(args.k);
const solverBackend = args.solver as BackendName;
const verifierBackend = args.verifier as BackendName;
const master = (args.seed ?? `0x${randomBytes(32).toString('hex')}`) as `0x${string}`;
const note = (msg: string, fields: Record<string, unknown> = {}): void => {
  console.error(`bench:verify ${msg} ${JSON.stringify(fields)}`);
};

// A small MNIST job (the integration tests' size).
const { train } = splitMnist(loadMnist(), 1000);
const { graphRoot: _unused, ...input } = exampleSpec();
input.model.layers = [784, 32, 10];
input.data.recordCount = train.count;
input.data.root = datasetRoot(train.records, MNIST_RECORD_BYTES);
input.training = { steps: k * measured, checkpointInterval: k, batchSize: 16 };
const spec = completeSpec(input);
const graph = buildGraph(spec);
const records = train.records;

// 1. The honest solver's chain on its backend; its checkpoints as files.
let tf = await useBackend(solverBackend);
const honest = createTrajectory({ tf, graph, spec, records, start: 0, end: spec.training.steps, startState: initialState(spec) });
const files: Uint8Array[] = [];
for (let i = 0; i <= measured; i++) files.push(encodeState(await honest.stateAt(i * k)));
note('honest solver trained', { backend: solverBackend, intervals: measured, k });

// 2. On the verifier's backend, interleaved (after a warm-up interval): the solver's cost of an
// interval (k training steps, its checkpoint's root and file) and the verifier's screen of it
// (decode and root-check both checkpoints as fetchState does, re-execute, compare).
tf = await useBackend(verifierBackend);
const screenCost: number[] = [];
const trainCost: number[] = [];
const honestDistances: number[] = [];
await reexecute({ tf, graph, spec, records, start: decodeState(files[0] as Uint8Array), fromStep: 0, steps: k });
const trainOne = async (i: number): Promise<void> => {
  const solverStart = decodeState(files[i] as Uint8Array);
  const t1 = performance.now();
  const trained = await reexecute({ tf, graph, spec, records, start: solverStart, fromStep: i * k, steps: k });
  stateRoot(trained);
  encodeState(trained);
  trainCost.push(performance.now() - t1);
};
const screenOne = async (i: number): Promise<void> => {
  const t0 = performance.now();
  const start = decodeState(files[i] as Uint8Array);
  const end = decodeState(files[i + 1] as Uint8Array);
  stateRoot(start);
  stateRoot(end);
  const ours = await reexecute({ tf, graph, spec, records, start, fromStep: i * k, steps: k });
  honestDistances.push(stateDistance(ours, end).distance);
  screenCost.push(performance.now() - t0);
};
// Paired: each interval's training and screen are timed back to back, alternating which goes
// first so neither gets the warmer caches every time, over ROUNDS passes; the cost ratio is the
// median of the paired ratios, which cancels the machine's drift between pairs.
const ROUNDS = 4;
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < measured; i++) {
    const before = trainCost.length;
    if ((i + r) % 2 === 0) {
      await trainOne(i);
      await screenOne(i);
    } else {
      await screenOne(i);
      await trainOne(i);
    }
    ratios.push((screenCost[before] as number) / (trainCost[before] as number));
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const tScreen = median(screenCost);
const tTrain = median(trainCost);
// The screen does strictly more work than training the interval; a measured ratio below 1 is timing noise.
const measuredRatio = median(ratios);
const costRatio = Math.max(1, measuredRatio);
note('per-interval cost measured', {
  backend: verifierBackend,
  train_ms: tTrain,
  screen_ms: tScreen,
  cost_ratio: costRatio,
  honest_max_distance: Math.max(...honestDistances),
});

// 4. Every fraud kind (one faked step, or a copied interval): screen distance and the exact check on served data.
const kinds = FRAUD_KINDS.filter((x) => x !== 'withhold');
const fraud = new Map<FraudKind, { distance: number; caught: boolean }>();
const interval = 1;
for (const kind of kinds) {
  const startState = decodeState(files[interval] as Uint8Array);
  const from = interval * k;
  const chain = createTrajectory({
    tf,
    graph,
    spec,
    records,
    start: from,
    end: from + k,
    startState,
    transition: fraudTransition(kind, (s) => kind === 'copy-checkpoint' || s === from + 3),
  });
  const end = await chain.stateAt(from + k);
  const ours = await reexecute({ tf, graph, spec, records, start: startState, fromStep: from, steps: k });
  const distance = stateDistance(ours, end).distance;
  const states = new Map<number, Tensor[]>();
  const traces = new Map<number, Float32Array[]>();
  for (let s = from; s <= from + k; s++) states.set(s, await chain.stateAt(s));
  for (let s = from; s < from + k; s++) traces.set(s, (await chain.stepAt(s)).trace);
  const found = await firstFault(
    graph,
    servedChain({ graph, spec, records, start: from, end: from + k, states, traces, startRoot: stateRoot(startState), endRoot: stateRoot(end) }),
  );
  fraud.set(kind, { distance, caught: found !== undefined });
  note('fraud measured', { kind, distance, exact_check_found: found === undefined ? null : found.step });
}
const threshold = DEFAULT_SCREEN_THRESHOLD;
const calibration = calibrateThreshold(
  honestDistances,
  [...fraud.values()].map((x) => x.distance),
);

// 5. The modelled long job: the real sampler and screen decision over many trials.
const plan = planSample({ intervals: n, budget, fakeFraction: f, costRatio });
const q = plan.q;
const draw = seededIntegers(master, 'bench/faker');
const pick = (xs: readonly number[]): number => xs[draw(xs.length)] as number;
const kindDraw = (): FraudKind => kinds[draw(kinds.length)] as FraudKind;
let detected = 0;
let falseFlags = 0;
const FAKE_SCALE = 2 ** 32;
for (let t = 0; t < trials; t++) {
  // The verifier's private seed of this trial; the faker's choices come from another stream.
  const seed = `0x${createHash('sha256').update(master).update(`verifier/${t}`).digest('hex')}` as const;
  const sample = sampleIntervals(seed, n, q);
  let caught = false;
  for (const _i of sample) {
    const faked = draw(FAKE_SCALE) < f * FAKE_SCALE;
    if (faked) {
      const m = fraud.get(kindDraw()) as { distance: number; caught: boolean };
      if (screenVerdict(m.distance, threshold) === 'flag' && m.caught) caught = true;
    } else if (screenVerdict(pick(honestDistances), threshold) === 'flag') {
      falseFlags++;
    }
  }
  if (caught) detected++;
  if (t % 5000 === 4999) note('trials', { done: t + 1, detection_rate: detected / (t + 1) });
}
const predicted = detectionProbability(f, q);
const computeFraction = (q * costRatio) / n;

console.log(
  JSON.stringify({
    bench: 'verify',
    fake_fraction: f,
    trials,
    detection_rate: detected / trials,
    predicted,
    compute_fraction: computeFraction,
    intervals: n,
    q,
    k,
    budget,
    cost_ratio: costRatio,
    measured_cost_ratio: measuredRatio,
    train_ms_per_interval: tTrain,
    screen_ms_per_interval: tScreen,
    screen_threshold: threshold,
    honest_max_distance: Math.max(...honestDistances),
    fraud_min_distance: Math.min(...[...fraud.values()].map((x) => x.distance)),
    calibration_margin: calibration?.margin ?? null,
    honest_false_flags: falseFlags,
    exact_check_caught_all_kinds: [...fraud.values()].every((x) => x.caught),
    solver_backend: solverBackend,
    verifier_backend: verifierBackend,
    measured: `screen and exact check on ${measured} real intervals (k=${k}, MNIST 784-32-10) and ${kinds.length} fraud kinds; per-interval costs timed on ${verifierBackend}`,
    modelled: `a job of ${n} intervals, each faked with probability ${f} per trial; the real sampler and screen decision over ${trials} trials`,
  }),
);
