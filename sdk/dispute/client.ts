/**
 * Game clients for both daemons (docs/PROTOCOL.md §5): read a dispute, compute the next move from
 * local data, submit it, and watch the clocks. `playSolver` defends with the solver's own
 * regenerated chain; `playChallenger` prosecutes with the solver's chain as the verifier saw it.
 */
import { parseEventLogs, type Account, type Address, type Chain, type ContractFunctionArgs, type ContractFunctionName, type Hex, type PublicClient, type TransactionReceipt, type Transport, type WalletClient } from 'viem';
import { disputeGameAbi } from '../abi/index.ts';
import { DatasetTree } from '../commit/dataset.ts';
import { stateRoot } from '../commit/state.ts';
import { batchRecordIndex } from '../commit/dataset.ts';
import { withCheckpointProof, type CheckpointProof } from '../chain/checkpoints.ts';
import { createTxSender, type TxSender } from '../chain/sender.ts';
import { fromWalletClient } from '../chain/signer.ts';
import { OpKind, type Graph } from '../graph/graph.ts';
import type { Logger } from '../log.ts';
import { encodeJobSpec, JOB_SPEC_ABI, type JobSpec } from '../spec/job-spec.ts';
import { decodeAbiParameters } from 'viem';
import { dataPart, type Published } from './availability.ts';
import { SOLVER_STAGES, Stage, type StageCode } from './stages.ts';
import { findCopyFault, findFault, findInitialFault, type Fault } from './find.ts';
import { linkElement, linkPoint, linkTensor, StepProofs, traceRootOf } from './openings.ts';
import type { StepData, Trajectory } from './trajectory.ts';
import { STATE_LEAF_BYTES, TRACE_LEAF_BYTES, type Tensor } from '../commit/tensor.ts';

export { SOLVER_STAGES, Stage, STAGE_NAMES, type StageCode } from './stages.ts';

export const NEXT_STATE = 0xffff_ffff;
/** The point's op for the trace's copy of the state before the step (DisputeGame.STATE_COPY). */
export const STATE_COPY = 0xffff_fffe;
/** The point's op for checkpoint 0 itself, judged by the init rule (DisputeGame.INITIAL_STATE). */
export const INITIAL_STATE = 0xffff_fffd;

export interface GameClients {
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient<Transport, Chain | undefined, Account>;
  readonly game: Address;
}

export type Dispute = Awaited<ReturnType<typeof readDispute>>;

/**
 * A dispute as the game stores it, plus `active`: a job's disputes are played one at a time,
 * oldest first, and only the active one accepts moves (the others' clocks stand still).
 */
export async function readDispute(clients: Pick<GameClients, 'publicClient' | 'game'>, disputeId: bigint) {
  const d = await clients.publicClient.readContract({ address: clients.game, abi: disputeGameAbi, functionName: 'getDispute', args: [disputeId] });
  const active = await clients.publicClient.readContract({ address: clients.game, abi: disputeGameAbi, functionName: 'activeDispute', args: [d.jobId] });
  const publishing = d.stage === Stage.AwaitStateData || d.stage === Stage.AwaitTraceData;
  const [tensor, leaf] = publishing ? await clients.publicClient.readContract({ address: clients.game, abi: disputeGameAbi, functionName: 'dataCursor', args: [disputeId] }) : [0, 0];
  /** Where publication of demanded data stands: the next tensor and leaf (0, 0 outside the data stages). */
  const cursor = { tensor, leaf };
  return { ...d, active: active === disputeId, cursor };
}

/** The spec as the contracts' JobSpec tuple. */
export function specTuple(spec: JobSpec) {
  const [tuple] = decodeAbiParameters(JOB_SPEC_ABI, encodeJobSpec(spec));
  return tuple;
}

export const graphCommitment = (graph: Graph) => ({ opCount: graph.ops.length, stateCount: graph.state.length, opsRoot: graph.opsRoot });

type GameFunction = ContractFunctionName<typeof disputeGameAbi, 'nonpayable'>;

/** One write to the game, typed by the ABI: the function and its arguments. */
export type GameWrite = {
  [F in GameFunction]: { readonly functionName: F; readonly args: ContractFunctionArgs<typeof disputeGameAbi, 'nonpayable', F> };
}[GameFunction];

/**
 * A move or other write, through the SDK's TxSender: estimated with headroom (a move's gas depends
 * on the block's timestamp, so a bare estimate runs out of gas when the second turns before the
 * block), reverts decoded, the receipt awaited.
 */
/** One TxSender per wallet: its nonce lock must see every send of the account (two games at once included). */
const senders = new WeakMap<GameClients['walletClient'], Promise<TxSender>>();

async function send(clients: GameClients, write: GameWrite): Promise<TransactionReceipt> {
  let pending = senders.get(clients.walletClient);
  if (pending === undefined) {
    pending = clients.publicClient.getChainId().then((chainId) => createTxSender({ publicClient: clients.publicClient, signer: fromWalletClient(clients.walletClient), chainId }));
    senders.set(clients.walletClient, pending);
  }
  const sender = await pending;
  const { receipt } = await sender.writeContract({ address: clients.game, abi: disputeGameAbi, ...write });
  return receipt;
}

/**
 * Open a dispute on checkpoint interval `interval`; the bond must be approved to the game. The
 * interval's roots are proved from the market's logs (read from `fromBlock`, default 0).
 */
export async function challenge(clients: GameClients, params: { jobId: bigint; interval: number; spec: JobSpec; graph: Graph; fromBlock?: bigint }): Promise<{ disputeId: bigint; gasUsed: bigint }> {
  const { publicClient } = clients;
  const market = await publicClient.readContract({ address: clients.game, abi: disputeGameAbi, functionName: 'market' });
  const args = (proof: CheckpointProof) => [params.jobId, params.interval, specTuple(params.spec), graphCommitment(params.graph), proof] as const;
  const receipt = await withCheckpointProof({ publicClient, market, fromBlock: params.fromBlock }, params.jobId, params.interval, (proof) => send(clients, { functionName: 'challenge', args: args(proof) }));
  // The id comes from this transaction's event: another challenge may land first.
  const created = parseEventLogs({ abi: disputeGameAbi, logs: receipt.logs, eventName: 'DisputeCreated' }).find((e) => e.address.toLowerCase() === clients.game.toLowerCase());
  if (created === undefined) throw new Error('the challenge was mined without a DisputeCreated event');
  return { disputeId: created.args.disputeId, gasUsed: receipt.gasUsed };
}

export interface MoveRecord {
  readonly move: string;
  readonly gasUsed: bigint;
}

interface PlayOptions {
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** Milliseconds between polls of the dispute. */
  readonly pollMs?: number;
  readonly onMove?: (m: MoveRecord) => void;
}

async function play(clients: GameClients, disputeId: bigint, mine: (stage: StageCode) => boolean, move: (d: Dispute) => Promise<MoveRecord>, options: PlayOptions): Promise<StageCode> {
  for (;;) {
    options.signal?.throwIfAborted();
    const d = await readDispute(clients, disputeId);
    const stage = d.stage as StageCode;
    if (stage >= Stage.SolverWon || stage === Stage.None) return stage;
    if (d.active && mine(stage)) {
      const record = await move(d);
      options.log.info('dispute move', { disputeId, move: record.move, gasUsed: record.gasUsed });
      options.onMove?.(record);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

export interface SolverPlayOptions extends PlayOptions {
  readonly graph: Graph;
  readonly spec: JobSpec;
  readonly trajectory: Trajectory;
  readonly dataset: DatasetTree;
  /** A withholding solver never moves; it loses on time. */
  readonly silent?: boolean;
}

/** What the solver needs to answer any move of a dispute: its own data for the interval. */
export interface SolverData {
  readonly graph: Graph;
  readonly spec: JobSpec;
  readonly trajectory: Trajectory;
  readonly dataset: () => DatasetTree;
}

/**
 * The solver's answer to the dispute's current stage, computed from its own chain: the midpoint
 * root, the op-trace root, or the opening of the pointed element. `proofs` caches the step's
 * proof trees between the trace and the opening. Shared by `playSolver` and the solver daemon.
 */
export async function solverMove(disputeId: bigint, d: Dispute, data: SolverData, cache: { proofs?: StepProofs } = {}): Promise<GameWrite> {
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
  const spec = specTuple(data.spec);
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
  const kind = data.graph.ops[op]?.kind;
  if (kind === OpKind.LOAD_X || kind === OpKind.LOAD_Y) {
    const width = data.graph.ops[op]?.shape[1] ?? 1;
    const index = batchRecordIndex(data.spec.data.seed, d.lo, Math.floor(element / width), BigInt(data.spec.data.recordCount));
    const l = p.load(op, element, data.dataset(), index);
    return { functionName: 'openLoad', args: [disputeId, spec, graph, l.op, l.opProof, l.record, l.output] };
  }
  const e = p.element(op, element);
  return { functionName: 'openElement', args: [disputeId, spec, graph, e.op, e.opProof, e.inputs, e.output] };
}

/** Defend a dispute to the end with the solver's own chain. Returns the final stage. */
export async function playSolver(clients: GameClients, disputeId: bigint, o: SolverPlayOptions): Promise<StageCode> {
  const cache: { proofs?: StepProofs } = {};
  const data: SolverData = { graph: o.graph, spec: o.spec, trajectory: o.trajectory, dataset: () => o.dataset };
  const solverStages = new Set<number>(SOLVER_STAGES);
  return play(clients, disputeId, (s) => !o.silent && solverStages.has(s), async (d) => {
    const write = await solverMove(disputeId, d, data, cache);
    return { move: write.functionName, gasUsed: (await send(clients, write)).gasUsed };
  }, o);
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
}

/**
 * The challenger's answer to the dispute's current stage (AwaitChoice or AwaitPoint): keep the
 * half that holds the invalid transition, then point at the faulty element of the solver's own
 * step. Shared by `playChallenger` and the verifier daemon.
 */
export async function challengerMove(disputeId: bigint, d: Dispute, data: ChallengerData, log: Logger): Promise<GameWrite> {
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
    const leftHolds = loState !== undefined && data.consistent !== undefined && await data.consistent({ step: Number(d.lo), state: loState }, { step: Number(mid), state: midState });
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
  const fault = (step === undefined ? undefined : data.pointAt?.(step) ?? findFault(data.graph, step)) ?? { kind: 'next-state', tensor: 0, element: 0 };
  return { functionName: 'point', args: [disputeId, ...pointOf(fault)] };
}

/** A fault as the game's point: (op, element), link points as tensor · 2^32 + element. */
export function pointOf(fault: Fault): [number, bigint] {
  switch (fault.kind) {
    case 'element': return [fault.op, BigInt(fault.element)];
    case 'next-state': return [NEXT_STATE, linkPoint(fault.tensor, fault.element)];
    case 'state-copy': return [STATE_COPY, linkPoint(fault.tensor, fault.element)];
    case 'initial': return [INITIAL_STATE, linkPoint(fault.tensor, fault.element)];
  }
}

export interface ChallengerPlayOptions extends PlayOptions, ChallengerData {}

/** Prosecute a dispute to the end. Returns the final stage. */
export async function playChallenger(clients: GameClients, disputeId: bigint, o: ChallengerPlayOptions): Promise<StageCode> {
  const challengerStages = new Set<number>([Stage.AwaitChoice, Stage.AwaitPoint]);
  return play(clients, disputeId, (s) => challengerStages.has(s), async (d) => {
    const write = await challengerMove(disputeId, d, o, o.log);
    return { move: write.functionName, gasUsed: (await send(clients, write)).gasUsed };
  }, o);
}

/** Anyone: end a dispute whose mover ran out of time. */
export async function claimTimeout(clients: GameClients, disputeId: bigint): Promise<bigint> {
  return (await send(clients, { functionName: 'timeout', args: [disputeId] })).gasUsed;
}

export type { Hex };
