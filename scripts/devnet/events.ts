/**
 * The devnet's view of the chain: every event of the market and the dispute game, decoded, in
 * order, as it is mined (eth_getLogs polling, so it works on any JSON-RPC), and a one-line story
 * for each; plus the gas of every transaction the devnet's accounts sent.
 */
import { formatUnits, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem';
import { disputeGameAbi, jobMarketAbi } from '../../sdk/abi/index.ts';
import { cidFromBytes } from '../../sdk/chain/market.ts';
import { NEXT_STATE, STAGE_NAMES, STATE_COPY, type StageCode } from '../../sdk/dispute/client.ts';
import { linkElement, linkTensor } from '../../sdk/dispute/openings.ts';

export interface ChainEvent {
  readonly source: 'market' | 'game';
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly blockNumber: bigint;
  readonly logIndex: number;
  readonly transactionHash: Hex;
}

export interface WatchChainOptions {
  readonly publicClient: PublicClient;
  readonly market: Address;
  readonly game: Address;
  readonly fromBlock: bigint;
  readonly pollMs?: number | undefined;
  readonly onEvent: (event: ChainEvent) => void;
  readonly onError?: ((err: unknown) => void) | undefined;
  readonly signal: AbortSignal;
}

/** Polls the market's and the game's logs from `fromBlock` until the signal aborts. */
export async function watchChainEvents(o: WatchChainOptions): Promise<void> {
  let from = o.fromBlock;
  const stopped = (): boolean => o.signal.aborted;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      o.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  while (!o.signal.aborted) {
    try {
      const head = await o.publicClient.getBlockNumber({ cacheTime: 0 });
      if (head >= from) {
        const logs = await o.publicClient.getLogs({ address: [o.market, o.game], fromBlock: from, toBlock: head });
        const market = parseEventLogs({ abi: jobMarketAbi, logs: logs.filter((l) => l.address.toLowerCase() === o.market.toLowerCase()) });
        const game = parseEventLogs({ abi: disputeGameAbi, logs: logs.filter((l) => l.address.toLowerCase() === o.game.toLowerCase()) });
        const all: ChainEvent[] = [
          ...market.map((l) => ({
            source: 'market' as const,
            name: l.eventName,
            args: l.args,
            blockNumber: l.blockNumber,
            logIndex: l.logIndex,
            transactionHash: l.transactionHash,
          })),
          ...game.map((l) => ({
            source: 'game' as const,
            name: l.eventName,
            args: l.args,
            blockNumber: l.blockNumber,
            logIndex: l.logIndex,
            transactionHash: l.transactionHash,
          })),
        ].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
        for (const e of all) o.onEvent(e);
        from = head + 1n;
      }
    } catch (err) {
      if (stopped()) return;
      o.onError?.(err);
    }
    await sleep(o.pollMs ?? 250);
  }
}

export interface DescribeContext {
  /** A label for an address ("solver-A (honest)"), or undefined to print the address. */
  readonly nameOf: (address: string) => string | undefined;
  readonly symbol: string;
  /** "op 37 (layer1.weight.update, SGD_WEIGHT)" for a dispute's job, when its graph is known. */
  readonly opName: (disputeId: bigint, op: number) => string | undefined;
  /** Checkpoint intervals of a job (for "3/16"). */
  readonly intervalsOf: (jobId: bigint) => number | undefined;
}

/** A log field as text (ids, numbers, addresses). */
export const text = (v: unknown): string =>
  v === undefined || v === null
    ? ''
    : typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean'
      ? String(v)
      : JSON.stringify(v);
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
const short = (h: unknown): string => (typeof h === 'string' ? `${h.slice(0, 10)}…` : text(h));

/** One readable line per event, or undefined for events the story does not tell. */
export function describeChainEvent(e: ChainEvent, ctx: DescribeContext): string | undefined {
  const a = e.args;
  const who = (v: unknown): string => {
    const s = text(v);
    return ctx.nameOf(s) ?? s;
  };
  const tokens = (v: unknown): string => `${formatUnits(big(v), 18)} ${ctx.symbol}`;
  const id = text(a.jobId);
  const d = `dispute ${text(a.disputeId)}`;
  if (e.source === 'market') {
    switch (e.name) {
      case 'JobPosted':
        return `job ${id} posted by ${who(a.submitter)}: ${tokens(a.payment)} in escrow, solver stake ${tokens(a.solverStake)}, ${text(a.checkpointCount)} checkpoint intervals, challenge window ${text(a.challengeWindow)} s`;
      case 'JobClaimed':
        return `job ${id} claimed by ${who(a.solver)}; its stake is locked`;
      case 'CheckpointCommitted': {
        const n = ctx.intervalsOf(big(a.jobId));
        return `job ${id} checkpoint ${text(a.index)}${n === undefined ? '' : `/${n}`} committed: root ${short(a.stateRoot)} cid ${cidFromBytes(a.cid as Hex)?.slice(0, 16) ?? '(not a CID)'}…`;
      }
      case 'JobSubmitted':
        return `job ${id} final checkpoint submitted; challenge window open until ${new Date(Number(big(a.challengeDeadline)) * 1000).toISOString().slice(11, 19)}`;
      case 'JobFinalized':
        return `job ${id} FINALIZED: ${who(a.solver)} is paid; its stake is unlocked`;
      case 'JobSlashed':
        return `job ${id} SLASHED: ${who(a.solver)} loses its ${tokens(a.stake)} stake; ${who(a.challenger)} gets its share, the submitter its refund`;
      case 'JobExpired':
        return `job ${id} expired: ${who(a.solver)} missed its deadline and loses ${tokens(a.stake)}`;
      case 'JobCancelled':
        return `job ${id} cancelled`;
      case 'Credited':
        return `market credits ${tokens(a.amount)} to ${who(a.account)}`;
      case 'Withdrawn':
        return `${who(a.account)} withdraws ${tokens(a.amount)} from the market`;
      default:
        return undefined;
    }
  }
  switch (e.name) {
    case 'DisputeCreated':
      return `${d} OPENED by ${who(a.challenger)} against job ${id}, interval ${text(a.interval)} (steps ${text(a.lo)}..${text(a.hi)}), bond ${tokens(a.bond)}`;
    case 'MidpointPosted':
      return `${d}: the solver posts its state at step ${text(a.step)} (${short(a.stateRoot)})`;
    case 'HalfChosen':
      return `${d}: the challenger says the fault is in the ${a.left === true ? 'left' : 'right'} half -> steps ${text(a.lo)}..${text(a.hi)}`;
    case 'TracePosted':
      return `${d}: narrowed to one step (${text(a.step)} -> ${text(big(a.step) + 1n)}); the solver posts that step's op trace root ${short(a.traceRoot)}`;
    case 'ElementPointed': {
      const op = Number(a.op);
      if (op === NEXT_STATE || op === STATE_COPY) {
        const point = big(a.element);
        const what = op === NEXT_STATE ? 'the next state' : "the trace's copy of the state";
        return `${d}: the challenger points at element ${text(linkElement(point))} of tensor ${text(linkTensor(point))} of ${what}`;
      }
      const name = ctx.opName(big(a.disputeId), op) ?? `op ${op}`;
      return `${d}: the challenger points at element ${text(a.element)} of ${name}`;
    }
    case 'ElementOpened':
      return `${d}: the solver opens the element with its inputs and proofs; the chain recomputes it exactly: ${a.valid === true ? 'VALID (within its error bound)' : 'INVALID (outside its rigorous error bound)'}`;
    case 'DisputeResolved':
      return `${d} resolved: ${STAGE_NAMES[Number(a.outcome) as StageCode]}`;
    case 'Credited':
      return `dispute game credits ${tokens(a.amount)} to ${who(a.account)}`;
    case 'Withdrawn':
      return `${who(a.account)} withdraws ${tokens(a.amount)} from the dispute game (bond back)`;
    default:
      return undefined;
  }
}

/** Gas of every transaction `accounts` sent in blocks (fromBlock, head], by sender. */
export async function gasByAccount(
  publicClient: PublicClient,
  accounts: readonly Address[],
  fromBlock: bigint,
): Promise<{ total: bigint; transactions: number; byAccount: Map<string, { gas: bigint; transactions: number }> }> {
  const wanted = new Set(accounts.map((x) => x.toLowerCase()));
  const head = await publicClient.getBlockNumber({ cacheTime: 0 });
  const byAccount = new Map<string, { gas: bigint; transactions: number }>();
  let total = 0n;
  let transactions = 0;
  const numbers: bigint[] = [];
  for (let b = fromBlock + 1n; b <= head; b++) numbers.push(b);
  for (let i = 0; i < numbers.length; i += 25) {
    const blocks = await Promise.all(numbers.slice(i, i + 25).map((blockNumber) => publicClient.getBlock({ blockNumber, includeTransactions: true })));
    const ours = blocks.flatMap((blk) => blk.transactions.filter((tx) => wanted.has(tx.from.toLowerCase())));
    const receipts = await Promise.all(ours.map((tx) => publicClient.getTransactionReceipt({ hash: tx.hash })));
    for (const r of receipts) {
      const key = r.from.toLowerCase();
      const row = byAccount.get(key) ?? { gas: 0n, transactions: 0 };
      byAccount.set(key, { gas: row.gas + r.gasUsed, transactions: row.transactions + 1 });
      total += r.gasUsed;
      transactions++;
    }
  }
  return { total, transactions, byAccount };
}
