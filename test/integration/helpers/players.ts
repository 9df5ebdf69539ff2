// Test actors over the production dispute player: each wallet gets one TxSender and one journal
// (in an in-memory store), as a daemon's account does, and each play runs createDisputePlayer
// with the side's strategy: the whole-dispute tests exercise the loop the daemons run.
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from 'viem';
import {
  challengerStrategy,
  createDisputePlayer,
  createTxJournal,
  createTxSender,
  fromWalletClient,
  openStore,
  silentLogger,
  silentStrategy,
  solverStrategy,
  TX_JOURNAL_SCHEMA,
  type ChallengerData,
  type DatasetTree,
  type GameReader,
  type Graph,
  type JobSpec,
  type Logger,
  type MoveRecord,
  type StageCode,
  type Strategy,
  type Trajectory,
  type TxJournal,
  type TxSender,
} from '../../../sdk/index.ts';

/** One account at the game: what `challenge` and the player need. */
export interface Actor extends GameReader {
  readonly sender: TxSender;
  readonly journal: TxJournal;
}

export async function createActor(publicClient: PublicClient, game: Address, wallet: WalletClient<Transport, Chain | undefined, Account>): Promise<Actor> {
  const sender = createTxSender({ publicClient, signer: fromWalletClient(wallet), chainId: await publicClient.getChainId() });
  const store = await openStore({ file: ':memory:', migrations: [TX_JOURNAL_SCHEMA] });
  const journal = createTxJournal({ store, publicClient, sender, logger: silentLogger, now: Date.now, pollingIntervalMs: 20 });
  return { publicClient, game, sender, journal };
}

interface PlayOptions {
  readonly log?: Logger;
  readonly pollMs?: number;
  readonly onMove?: (m: MoveRecord) => void;
  /** Stops playing (the play rejects with the abort). */
  readonly signal?: AbortSignal;
}

/** Plays the dispute to its end with `strategy`; the final stage. */
export async function play(actor: Actor, disputeId: bigint, strategy: Strategy, o: PlayOptions = {}): Promise<StageCode> {
  const player = createDisputePlayer({ ...actor, logger: o.log, pollMs: o.pollMs ?? 20, onMove: o.onMove });
  o.signal?.addEventListener(
    'abort',
    () => {
      void player.stop();
    },
    { once: true },
  );
  return (await player.play(disputeId, strategy)).stage as StageCode;
}

/** Defends with the solver's own chain (or, silent, never moves). */
export function playSolver(
  actor: Actor,
  disputeId: bigint,
  o: PlayOptions & { graph: Graph; spec: JobSpec; trajectory: Trajectory; dataset: DatasetTree; silent?: boolean },
): Promise<StageCode> {
  const strategy =
    o.silent === true ? silentStrategy('solver') : solverStrategy({ graph: o.graph, spec: o.spec, trajectory: o.trajectory, dataset: () => o.dataset });
  return play(actor, disputeId, strategy, o);
}

/** Prosecutes with the solver's chain as served. */
export function playChallenger(actor: Actor, disputeId: bigint, o: PlayOptions & ChallengerData): Promise<StageCode> {
  return play(actor, disputeId, challengerStrategy({ claims: actor, ...o }, o.log), o);
}

/** Ends a dispute whose mover ran out of time; the timeout's gas. */
export async function claimTimeout(actor: Actor, disputeId: bigint): Promise<bigint> {
  let gas = 0n;
  const player = createDisputePlayer({
    ...actor,
    onMove: (m) => {
      gas = m.gasUsed;
    },
  });
  if (!(await player.timeout(disputeId))) throw new Error(`dispute ${disputeId} is over already`);
  return gas;
}
