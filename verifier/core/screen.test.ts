// The screen and the exact check on real MNIST steps: honest cross-backend runs pass the screen,
// every fraud kind is flagged, and the exact check finds the faulty step in the served chain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildGraph,
  completeSpec,
  createTrajectory,
  datasetRoot,
  encodeState,
  initialState,
  loadMnist,
  MNIST_RECORD_BYTES,
  splitMnist,
  stateRoot,
  useBackend,
  type Tensor,
} from '../../sdk/index.ts';
import { exampleSpec, FRAUD_KINDS, fraudTransition } from '../../sdk/testing/index.ts';
import { decodeServedState, decodeServedTrace, firstFault, servedChain, ServedDataError } from './exact.ts';
import { calibrateThreshold, DEFAULT_SCREEN_THRESHOLD, reexecute, screenInterval, stateDistance } from './screen.ts';

const { train } = splitMnist(loadMnist(), 1000);
const { graphRoot: _unused, ...input } = exampleSpec();
input.model.layers = [784, 16, 10];
input.data.recordCount = train.count;
input.data.root = datasetRoot(train.records, MNIST_RECORD_BYTES);
const k = 4;
input.training = { steps: 2 * k, checkpointInterval: k, batchSize: 8 };
const spec = completeSpec(input);
const graph = buildGraph(spec);
const t = (data: number[]): Tensor => ({ shape: [data.length], data: Float32Array.from(data) });

describe('stateDistance', () => {
  it('is the largest per-tensor deviation relative to the tensor scale', () => {
    assert.equal(stateDistance([t([1, 2])], [t([1, 2])]).distance, 0);
    const d = stateDistance([t([1, 2]), t([0.001, 0])], [t([1, 2.5]), t([0.001, 0])]);
    assert.equal(d.distance, 0.5 / 2.5);
    assert.deepEqual([d.tensor, d.element], [0, 1]);
    assert.equal(stateDistance([t([1, NaN])], [t([1, 2])]).distance, Infinity);
    assert.equal(stateDistance([t([1, 2])], [{ shape: [2, 1], data: Float32Array.of(1, 2) }]).distance, Infinity);
    assert.equal(stateDistance([t([1])], [t([1]), t([2])]).distance, Infinity);
  });

  it('calibrates a threshold between honest and fraudulent distances', () => {
    const c = calibrateThreshold([1e-7, 3e-7], [2e-2, 0.5]);
    assert.ok(c !== undefined && c.threshold > 3e-7 && c.threshold < 2e-2 && c.margin > 1e4);
    assert.equal(calibrateThreshold([1e-3], [1e-4]), undefined);
  });
});

describe('the screen on real steps', () => {
  it('passes an honest cpu solver re-executed on wasm and flags every fraud kind', async () => {
    const start = initialState(spec);
    const cpu = await useBackend('cpu');
    const honestEnd = await reexecute({ tf: cpu, graph, spec, records: train.records, start, fromStep: 0, steps: k });
    const wasm = await useBackend('wasm');
    const honest = await screenInterval({
      tf: wasm,
      graph,
      spec,
      records: train.records,
      start,
      fromStep: 0,
      steps: k,
      end: honestEnd,
      threshold: DEFAULT_SCREEN_THRESHOLD,
    });
    assert.equal(honest.verdict, 'pass');
    assert.ok(honest.distance > 0, 'the backends differ in the bits');
    assert.ok(honest.distance < DEFAULT_SCREEN_THRESHOLD / 10, `honest drift ${honest.distance}`);
    for (const kind of FRAUD_KINDS.filter((f) => f !== 'withhold')) {
      const chain = createTrajectory({
        tf: wasm,
        graph,
        spec,
        records: train.records,
        start: 0,
        end: k,
        startState: start,
        transition: fraudTransition(kind, (s) => kind === 'copy-checkpoint' || s === 2),
      });
      const r = await screenInterval({
        tf: wasm,
        graph,
        spec,
        records: train.records,
        start,
        fromStep: 0,
        steps: k,
        end: await chain.stateAt(k),
        threshold: DEFAULT_SCREEN_THRESHOLD,
      });
      assert.equal(r.verdict, 'flag', `${kind}: distance ${r.distance}`);
      assert.ok(r.distance > DEFAULT_SCREEN_THRESHOLD * 10, `${kind}: distance ${r.distance}`);
    }
  });
});

describe('the exact check on served data', () => {
  async function served(kind: 'honest' | 'tamper-element' | 'wrong-lr') {
    const tf = await useBackend('wasm');
    const chain = createTrajectory({
      tf,
      graph,
      spec,
      records: train.records,
      start: 0,
      end: k,
      startState: initialState(spec),
      ...(kind === 'honest' ? {} : { transition: fraudTransition(kind, (s) => s === 2) }),
    });
    const states = new Map<number, Tensor[]>();
    const traces = new Map<number, Float32Array[]>();
    for (let s = 0; s <= k; s++) states.set(s, decodeServedState(graph, encodeState(await chain.stateAt(s)), s));
    for (let s = 0; s < k; s++) {
      const step = await chain.stepAt(s);
      traces.set(s, decodeServedTrace(graph, encodeState(step.trace.map((data, i) => ({ shape: graph.ops[i]?.shape ?? [], data }))), s));
    }
    const roots = { startRoot: stateRoot(states.get(0) as Tensor[]), endRoot: stateRoot(states.get(k) as Tensor[]) };
    return { states, traces, roots };
  }

  it('finds no fault in an honest chain', async () => {
    const { states, traces, roots } = await served('honest');
    const chain = servedChain({ graph, spec, records: train.records, start: 0, end: k, states, traces, ...roots });
    assert.equal(await firstFault(graph, chain), undefined);
  });

  for (const kind of ['tamper-element', 'wrong-lr'] as const) {
    it(`finds the faulty step of a ${kind} chain`, async () => {
      const { states, traces, roots } = await served(kind);
      const found = await firstFault(graph, servedChain({ graph, spec, records: train.records, start: 0, end: k, states, traces, ...roots }));
      assert.equal(found?.step, 2);
    });
  }

  it('rejects served data that is incomplete, malformed or not the committed chain', async () => {
    const { states, traces, roots } = await served('honest');
    const base = { graph, spec, records: train.records, start: 0, end: k, states, traces };
    assert.throws(() => servedChain({ ...base, ...roots, endRoot: `0x${'00'.repeat(32)}` }), ServedDataError);
    const missing = new Map(traces);
    missing.delete(1);
    assert.throws(() => servedChain({ ...base, ...roots, traces: missing }), ServedDataError);
    assert.throws(() => decodeServedState(graph, new Uint8Array(16), 0), ServedDataError);
    assert.throws(() => decodeServedTrace(graph, encodeState(states.get(0) as Tensor[]), 0), ServedDataError);
  });
});
