/**
 * The one dispute player (docs/PROTOCOL.md §5), for both sides and every caller: the solver and
 * verifier daemons, the tests and the benchmarks. It polls a dispute, asks the strategy for the
 * side's move when the dispute is active and the stage is the side's, and sends it through the
 * account's transaction journal; when the other side's clock has run out it ends the game with
 * `timeout`. A failed read or move is retried with backoff (the game's clock bounds how long).
 *
 * Each move is journaled under the dispute's position (stage, range, publication cursor, time of
 * the last move), and it counts as done once that position has changed: a player restarted after
 * a kill -9 never sends a move twice, and picks the game up where the chain has it.
 */
import type { Hex } from 'viem';
import { disputeGameAbi } from '../abi/index.ts';
import type { TxJournal } from '../daemon/journal.ts';
import { systemClock, type Clock, type Service } from '../daemon/service.ts';
import { silentLogger, type Logger } from '../log.ts';
import { isOver, readDispute, type Dispute, type GameReader, type GameWrite } from './client.ts';
import { STAGE_NAMES, type StageCode } from './stages.ts';
import { STAGES_OF, type Strategy } from './strategies.ts';

export interface MoveRecord {
  readonly disputeId: bigint;
  readonly move: GameWrite['functionName'];
  readonly hash: Hex;
  readonly gasUsed: bigint;
}

export interface DisputePlayerOptions extends GameReader {
  /** The account's journal: every write of the player goes through it. */
  readonly journal: TxJournal;
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  /** Milliseconds between polls of a dispute (default 1,000); backoff multiplies it up to 32×. */
  readonly pollMs?: number | undefined;
  /** Called after each mined move (metrics, tests). */
  readonly onMove?: ((m: MoveRecord) => void) | undefined;
}

export interface DisputePlayer extends Service {
  /**
   * Plays the dispute to its end with the strategy (or the strategy the factory makes, once);
   * resolves with the dispute as it ended. A dispute already being played returns that play.
   * Rejects with the stop's reason when the player stops first.
   */
  play(disputeId: bigint, strategy: Strategy | (() => Promise<Strategy>)): Promise<Dispute>;
  /** Ends a dispute whose mover ran out of time (anyone may); false when it is over already. */
  timeout(disputeId: bigint, signal?: AbortSignal): Promise<boolean>;
  /** Disputes being played. */
  readonly live: number;
  /** Waits for every dispute being played to end or stop. */
  settled(): Promise<void>;
}

/** A dispute's position: any move changes it. */
const position = (d: Dispute): string => `${d.stage}.${d.lo}-${d.hi}.${d.cursor.tensor}.${d.cursor.leaf}.${d.lastMoveAt}`;

export function createDisputePlayer(o: DisputePlayerOptions): DisputePlayer {
  const log = (o.logger ?? silentLogger).child({ component: 'dispute-player' });
  const clock = o.clock ?? systemClock;
  const pollMs = o.pollMs ?? 1_000;
  const me = o.journal.account.toLowerCase();
  const games = new Map<bigint, Promise<Dispute>>();
  let controller = new AbortController();

  /** Sends one write at the dispute's position; skipped when the position moved on meanwhile. */
  async function send(d: Dispute, write: GameWrite, signal: AbortSignal): Promise<void> {
    let gasUsed = 0n;
    const outcome = await o.journal.once(
      {
        action: `dispute.${write.functionName}`,
        jobId: d.jobId,
        index: Number(d.id),
        detail: position(d),
        done: async () => position(await readDispute(o, d.id)) !== position(d),
        send: async (sender, onBroadcast, s) => {
          const sent = await sender.writeContract({ address: o.game, abi: disputeGameAbi, ...write, signal: s, onBroadcast });
          gasUsed = sent.receipt.gasUsed;
          return sent;
        },
      },
      signal,
    );
    if (outcome.status !== 'mined') return;
    log.info('dispute move', {
      disputeId: d.id,
      jobId: d.jobId,
      move: write.functionName,
      stage: STAGE_NAMES[d.stage as StageCode],
      lo: d.lo,
      hi: d.hi,
      gasUsed,
      hash: outcome.hash,
    });
    o.onMove?.({ disputeId: d.id, move: write.functionName, hash: outcome.hash, gasUsed });
  }

  async function run(disputeId: bigint, make: Strategy | (() => Promise<Strategy>), signal: AbortSignal): Promise<Dispute> {
    let strategy = typeof make === 'function' ? undefined : make;
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      try {
        const d = await readDispute(o, disputeId);
        if (isOver(d)) return d;
        strategy ??= await (make as () => Promise<Strategy>)();
        // A queued dispute waits for the job's earlier ones (its clocks stand still).
        const write = d.active && STAGES_OF[strategy.side].has(d.stage) ? await strategy.next(d) : undefined;
        if (write !== undefined) {
          await send(d, write, signal);
          failures = 0;
          continue;
        }
        const [who, left] = await o.publicClient.readContract({ address: o.game, abi: disputeGameAbi, functionName: 'mover', args: [disputeId] });
        if (d.active && left === 0 && who.toLowerCase() !== me) {
          log.info('the other side ran out of time; ending the dispute', { disputeId });
          await send(d, { functionName: 'timeout', args: [disputeId] }, signal);
          failures = 0;
          continue;
        }
        failures = 0;
      } catch (err) {
        signal.throwIfAborted();
        log.warn('dispute move failed; retrying', { disputeId, error: err, attempt: ++failures });
      }
      await clock.sleep(pollMs * Math.min(2 ** failures, 32), signal);
    }
  }

  return {
    play(disputeId, strategy) {
      let game = games.get(disputeId);
      if (game === undefined) {
        game = run(disputeId, strategy, controller.signal).finally(() => {
          games.delete(disputeId);
        });
        games.set(disputeId, game);
      }
      return game;
    },
    async timeout(disputeId, signal = controller.signal) {
      const d = await readDispute(o, disputeId);
      if (isOver(d)) return false;
      await send(d, { functionName: 'timeout', args: [disputeId] }, signal);
      return true;
    },
    get live() {
      return games.size;
    },
    async settled() {
      await Promise.allSettled([...games.values()]);
    },
    start() {
      if (controller.signal.aborted) controller = new AbortController();
      return Promise.resolve();
    },
    async stop() {
      controller.abort(new DOMException('dispute player stopping', 'AbortError'));
      await Promise.allSettled([...games.values()]);
    },
  };
}
