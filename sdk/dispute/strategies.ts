/**
 * The two sides' strategies (docs/PROTOCOL.md §5): given the dispute as the game has it, the next
 * write of the side to move. The solver answers from its own regenerated chain; the challenger
 * prosecutes with the solver's chain as it was served (and what the solver published on demand).
 * A silent strategy never moves: it loses on time (the demo's withholding solver). The one dispute
 * player (player.ts) sends what a strategy returns.
 */
import type { Hex } from 'viem';
import { batchRecordIndex, type DatasetTree } from '../commit/dataset.ts';
import { stateRoot } from '../commit/state.ts';
import { STATE_LEAF_BYTES, TRACE_LEAF_BYTES, type Tensor } from '../commit/tensor.ts';
import { OpKind, type Graph } from '../graph/graph.ts';
import { silentLogger, type Logger } from '../log.ts';
import { encodeJobSpec, fp32Bits, type JobSpec } from '../spec/job-spec.ts';
import { scheduleOpening } from '../spec/schedule.ts';
import { dataPart, type Published } from './availability.ts';
import { ClaimTree, CHUNK_TERMS, firstWrong, opensByClaims, reductionInputs, rootHeight, type ReductionClaim } from './chunks.ts';
import { graphCommitment, INITIAL_STATE, NEXT_STATE, readPostedClaims, STATE_COPY, type Dispute, type GameReader, type GameWrite } from './client.ts';
import { findCopyFault, findFault, findInitialFault, type Fault } from './find.ts';
import { linkElement, linkPoint, linkTensor, opArg, StepProofs, traceRootOf } from './openings.ts';
import { SOLVER_STAGES, Stage, type StageCode } from './stages.ts';
import type { StepData, Trajectory } from './trajectory.ts';

export type Side = 'solver' | 'challenger';

/** The stages in which each side moves. */
export const STAGES_OF: Readonly<Record<Side, ReadonlySet<number>>> = {
  solver: new Set<number>(SOLVER_STAGES),
  challenger: new Set<number>([Stage.AwaitChoice, Stage.AwaitPoint, Stage.AwaitClaimChoice]),
};

export interface Strategy {
  readonly side: Side;
  /** The side's write for the dispute's current stage (one of the side's), or undefined to let its clock run. */
  next(d: Dispute): Promise<GameWrite | undefined>;
}

/** Defends with the solver's own chain: midpoints, publications, the trace root, the pointed opening. */
export function solverStrategy(data: SolverData): Strategy {
  const cache: SolverCache = {};
  return { side: 'solver', next: (d) => solverMove(d, data, cache) };
}

/** Prosecutes with the solver's chain as served (see ChallengerData). */
export function challengerStrategy(data: ChallengerData, log: Logger = silentLogger): Strategy {
  return { side: 'challenger', next: (d) => (d.stage === Stage.AwaitClaimChoice ? claimChoice(d, data) : challengerMove(d, data, log)) };
}

/** Never moves: the side loses when its clock runs out. */
export const silentStrategy = (side: Side): Strategy => ({ side, next: () => Promise.resolve(undefined) });

/** What the solver needs to answer any move of a dispute: its own data for the interval. */
export interface SolverData {
  readonly graph: Graph;
  readonly spec: JobSpec;
  readonly trajectory: Trajectory;
  readonly dataset: () => DatasetTree;
}

/**
 * The solver's answer to the dispute's current stage, computed from its own chain: the midpoint
 * root, the op-trace root, or the opening of the pointed element. `cache` keeps the step's
 * proof trees between the trace and the opening.
 */
interface SolverCache {
  proofs?: StepProofs;
  claims?: { key: string; tree: ClaimTree };
}

/** The claim tree of the pointed element of the step (§5 step 4b), built once per element. */
function claimTreeOf(p: StepProofs, cache: SolverCache, op: number, element: number): ClaimTree {
  const key = `${p.step.step}.${op}.${element}`;
  if (cache.claims?.key !== key) {
    const desc = p.graph.ops[op] as NonNullable<(typeof p.graph.ops)[number]>;
    const { rows, y } = reductionInputs(desc, op, p.graph.state.length, p.tensors, element);
    cache.claims = { key, tree: new ClaimTree(desc.kind, rows, y) };
  }
  return cache.claims.tree;
}

async function solverMove(d: Dispute, data: SolverData, cache: SolverCache): Promise<GameWrite> {
  const disputeId = d.id;
  if ((d.stage as StageCode) === Stage.AwaitMidpoint) {
    const mid = Number(d.lo + (d.hi - d.lo) / 2n);
    return { functionName: 'postMidpoint', args: [disputeId, stateRoot(await data.trajectory.stateAt(mid))] };
  }
  if ((d.stage as StageCode) === Stage.AwaitStateData) {
    // The challenger demanded the posted midpoint state: publish its next leaves, in order.
    const state = await data.trajectory.stateAt(Number(d.lo + (d.hi - d.lo) / 2n));
    return { functionName: 'publishData', args: [disputeId, dataPart({ tensors: state, leafBytes: STATE_LEAF_BYTES }, d.cursor.tensor, d.cursor.leaf)] };
  }
  if (cache.proofs?.step.step !== Number(d.lo)) cache.proofs = new StepProofs(data.graph, await data.trajectory.stepAt(Number(d.lo)));
  const p = cache.proofs;
  if ((d.stage as StageCode) === Stage.AwaitTrace) return { functionName: 'postTrace', args: [disputeId, p.traceRoot] };
  if ((d.stage as StageCode) === Stage.AwaitTraceData) {
    return { functionName: 'publishData', args: [disputeId, dataPart({ tensors: p.tensors, leafBytes: TRACE_LEAF_BYTES }, d.cursor.tensor, d.cursor.leaf)] };
  }
  const spec = encodeJobSpec(data.spec);
  const graph = graphCommitment(data.graph);
  const op = d.pointOp;
  const element = Number(d.pointElement);
  if (op === INITIAL_STATE) {
    return { functionName: 'openInitialState', args: [disputeId, spec, graph, p.stateLeaf(linkTensor(d.pointElement), linkElement(d.pointElement))] };
  }
  if (op === NEXT_STATE || op === STATE_COPY) {
    const link = p.stateLink(op === NEXT_STATE ? 'next' : 'copy', linkTensor(d.pointElement), linkElement(d.pointElement));
    return { functionName: 'openStateLink', args: [disputeId, spec, graph, link] };
  }
  const desc = data.graph.ops[op];
  if (desc !== undefined && opensByClaims(desc)) {
    // A long reduction: answered by claims over its chunks, down to one chunk's terms.
    const tree = claimTreeOf(p, cache, op, element);
    const n = d.reduction;
    if ((d.stage as StageCode) === Stage.AwaitOpening) {
      const claims = tree.children(0, rootHeight(tree.k));
      return { functionName: 'openReduction', args: [disputeId, spec, graph, opArg(desc), p.opProof(op), p.output(op, element), claims] };
    }
    if (n === undefined) throw new RangeError(`dispute ${disputeId} has no claim game`);
    const child = n.first + n.choice * 16 ** (n.height - 1);
    const proof = tree.proof(n.first, n.height, n.choice);
    if ((d.stage as StageCode) === Stage.AwaitClaims) {
      return { functionName: 'postClaims', args: [disputeId, tree.claim(child, n.height - 1), proof, tree.children(child, n.height - 1)] };
    }
    const count = Math.min(CHUNK_TERMS, tree.k - child * CHUNK_TERMS);
    return { functionName: 'openChunk', args: [disputeId, opArg(desc), tree.claim(child, 0), proof, p.rowSlices(op, element, child * CHUNK_TERMS, count)] };
  }
  const kind = desc?.kind;
  if (kind === OpKind.LOAD_X || kind === OpKind.LOAD_Y) {
    const width = data.graph.ops[op]?.shape[1] ?? 1;
    const index = batchRecordIndex(data.spec.data.seed, d.lo, Math.floor(element / width), BigInt(data.spec.data.recordCount));
    const l = p.load(op, element, data.dataset(), index);
    return { functionName: 'openLoad', args: [disputeId, spec, graph, l.op, l.opProof, l.record, l.output] };
  }
  const e = p.element(op, element);
  if (kind !== undefined && kind >= OpKind.ADAM_M && kind <= OpKind.ADAMW_STEP) {
    // AdamW ops read step lo's row of the spec's schedule table, opened by proof (§3.5).
    const o = data.spec.version === 2 ? data.spec.optimizer : undefined;
    if (o?.kind !== 'adamw') throw new RangeError(`op ${op} is an AdamW op but the spec's optimizer is not adamw`);
    const { row, proof } = scheduleOpening(o, data.spec.training.steps, Number(d.lo));
    const r = { lr: fp32Bits(row.lr), bc1: fp32Bits(row.bc1), bc2: fp32Bits(row.bc2), proof: [...proof] };
    return { functionName: 'openAdamElement', args: [disputeId, spec, graph, e.op, e.opProof, e.inputs, e.output, r] };
  }
  return { functionName: 'openElement', args: [disputeId, spec, graph, e.op, e.opProof, e.inputs, e.output] };
}

/** What the challenger needs to answer any move of a dispute: the solver's chain as it was served. */
export interface ChallengerData {
  readonly graph: Graph;
  /** The solver's chain as served to the verifier (states and traces of the interval). */
  readonly solverChain: Trajectory;
  /** The first step of the interval whose transition the verifier found invalid. */
  readonly faultyStep: number;
  /** Override the point (a false challenger in tests); defaults to findFault on the solver's step. */
  readonly pointAt?: (step: StepData) => Fault;
  /**
   * The spec's checkpoint 0 (`initialState`), for an interval that starts at step 0: a solver's
   * checkpoint 0 that differs from it is pointed at first (INITIAL_STATE), before any transition.
   */
  readonly initial?: readonly Tensor[];
  /**
   * What the solver published on demand in this dispute (`readPublished`). With it, a posted
   * midpoint or trace that the served data does not match (or that was withheld) is demanded
   * on-chain and judged from what was published; without it, only logged.
   */
  readonly published?: () => Promise<Published>;
  /**
   * Whether a published state `to` is consistent with honest training from `from` (the verifier's
   * screen): picks the half when the served data cannot (the left half is kept when it is not).
   */
  readonly consistent?: (from: { step: number; state: Tensor[] }, to: { step: number; state: Tensor[] }) => Promise<boolean>;
  /** Where the solver's posted claims are read from (the game's ClaimsPosted events), for a long reduction's claim game. */
  readonly claims?: GameReader;
  /** Override the pick among posted claims (a false challenger in tests); defaults to the first wrong one. */
  readonly pickClaim?: (posted: readonly ReductionClaim[], truth: readonly ReductionClaim[]) => number;
}

/**
 * The challenger's pick in a long reduction's claim game: the first posted claim that differs from
 * the claim of the solver's own committed terms at the posted scale. One always does when the
 * element is invalid: the claims combine to their parent, and the true claims combine to the true
 * one, which fails the bound.
 */
async function claimChoice(d: Dispute, data: ChallengerData): Promise<GameWrite> {
  const n = d.reduction;
  if (n === undefined || data.claims === undefined) throw new RangeError(`dispute ${d.id}: no claim game to read`);
  const step = await data.solverChain.stepAt(Number(d.lo));
  const S = data.graph.state.length;
  const op = data.graph.ops[d.pointOp];
  if (op === undefined) throw new RangeError(`dispute ${d.id}: op ${d.pointOp} is not in the graph`);
  const tensors = [...step.before, ...step.trace.map((t) => ({ data: t }))];
  const { rows, y } = reductionInputs(op, d.pointOp, S, tensors, Number(d.pointElement));
  const truth = new ClaimTree(op.kind, rows, y, n.scale).children(n.first, n.height);
  const posted = await readPostedClaims(data.claims, d.id);
  const pick = data.pickClaim?.(posted, truth) ?? firstWrong(posted, truth);
  return { functionName: 'chooseClaim', args: [d.id, Math.max(0, pick)] };
}

/**
 * The challenger's answer to the dispute's current stage (AwaitChoice or AwaitPoint): keep the
 * half that holds the invalid transition, then point at the faulty element of the solver's own
 * step.
 */
async function challengerMove(d: Dispute, data: ChallengerData, log: Logger): Promise<GameWrite> {
  const disputeId = d.id;
  const demand: GameWrite = { functionName: 'demandData', args: [disputeId] };
  const served = {
    state: async (step: bigint): Promise<Tensor[] | undefined> => data.solverChain.stateAt(Number(step)).catch(() => undefined),
    step: async (step: bigint): Promise<StepData | undefined> => data.solverChain.stepAt(Number(step)).catch(() => undefined),
  };
  // One read of the publications per move (it fetches every publishData transaction).
  let publication: Promise<Published> | undefined;
  const source = data.published;
  const published = source === undefined ? undefined : (): Promise<Published> => (publication ??= source());
  /** The solver's state at `step` if it has `root`: as served, or as published on-chain. */
  const stateWithRoot = async (root: Hex, step: bigint): Promise<Tensor[] | undefined> => {
    const s = await served.state(step);
    if (s !== undefined && stateRoot(s) === root) return s;
    return (await published?.())?.states.get(root);
  };
  // A checkpoint 0 that is not the spec's is refuted without looking at any transition: keep the
  // left half down to step 0, then point at it.
  const start = d.lo === 0n && data.initial !== undefined && data.pointAt === undefined ? await stateWithRoot(d.loRoot, 0n) : undefined;
  const initialFault = start !== undefined && data.initial !== undefined ? findInitialFault(data.initial, start) : undefined;
  if ((d.stage as StageCode) === Stage.AwaitChoice) {
    const mid = d.lo + (d.hi - d.lo) / 2n;
    if (initialFault !== undefined) return { functionName: 'chooseHalf', args: [disputeId, true] };
    const servedMid = await served.state(mid);
    if (servedMid !== undefined && stateRoot(servedMid) === d.midRoot) return { functionName: 'chooseHalf', args: [disputeId, BigInt(data.faultyStep) < mid] };
    if (published === undefined) {
      log.warn('midpoint differs from the state the solver served', { disputeId, step: mid, posted: d.midRoot });
      return { functionName: 'chooseHalf', args: [disputeId, BigInt(data.faultyStep) < mid] };
    }
    // Posted differs from served (or nothing was served): the posted state must be published.
    const midState = (await published()).states.get(d.midRoot);
    if (midState === undefined) return demand;
    const loState = await stateWithRoot(d.loRoot, d.lo);
    const leftHolds =
      loState !== undefined &&
      data.consistent !== undefined &&
      (await data.consistent({ step: Number(d.lo), state: loState }, { step: Number(mid), state: midState }));
    log.info('judged a published midpoint', { disputeId, step: mid, leftHalfConsistent: leftHolds });
    return { functionName: 'chooseHalf', args: [disputeId, !leftHolds] };
  }
  if (initialFault !== undefined) return { functionName: 'point', args: [disputeId, ...pointOf(initialFault)] };
  // The step as the game has it: the states with the posted roots, and the trace with the posted
  // root, from what was served where it matches and from what was published where not.
  const servedStep = await served.step(d.lo);
  const [before, after] = [await stateWithRoot(d.loRoot, d.lo), await stateWithRoot(d.hiRoot, d.hi)];
  let trace: { copies: readonly Tensor[]; outputs: Float32Array[] } | undefined;
  if (servedStep !== undefined && traceRootOf(data.graph, servedStep) === d.traceRoot) trace = { copies: servedStep.before, outputs: servedStep.trace };
  else if (published !== undefined) {
    const tensors = (await published()).traces.get(d.traceRoot);
    if (tensors === undefined) return demand;
    const S = data.graph.state.length;
    trace = { copies: tensors.slice(0, S), outputs: tensors.slice(S).map((t) => t.data) };
  }
  let step: StepData | undefined;
  if (trace !== undefined && before !== undefined && after !== undefined && servedStep !== undefined) {
    const copyFault = data.pointAt === undefined ? findCopyFault(before, trace.copies) : undefined;
    if (copyFault !== undefined) return { functionName: 'point', args: [disputeId, ...pointOf(copyFault)] };
    step = { step: Number(d.lo), before, trace: trace.outputs, after, batch: servedStep.batch };
  } else {
    log.warn('the step the game holds is not fully known; judging the served one', { disputeId, step: d.lo });
    step = servedStep;
  }
  const fault = (step === undefined ? undefined : (data.pointAt?.(step) ?? findFault(data.graph, step))) ?? { kind: 'next-state', tensor: 0, element: 0 };
  return { functionName: 'point', args: [disputeId, ...pointOf(fault)] };
}

/** A fault as the game's point: (op, element), link points as tensor · 2^32 + element. */
export function pointOf(fault: Fault): [number, bigint] {
  switch (fault.kind) {
    case 'element':
      return [fault.op, BigInt(fault.element)];
    case 'next-state':
      return [NEXT_STATE, linkPoint(fault.tensor, fault.element)];
    case 'state-copy':
      return [STATE_COPY, linkPoint(fault.tensor, fault.element)];
    case 'initial':
      return [INITIAL_STATE, linkPoint(fault.tensor, fault.element)];
  }
}
