/**
 * What the page shows, built from public data only: the chain's events (decoded, in order), its
 * views at the latest block, the content store's job specs and checkpoints (for op names and
 * losses), and the reports verifiers publish. Pure: the indexer gathers the inputs, this shapes
 * them. Amounts and ids are decimal strings (JSON has no bigint).
 */
import { cidFromBytes } from '../sdk/chain/market.ts';
import { NEXT_STATE, STAGE_NAMES, STATE_COPY, INITIAL_STATE, type StageCode } from '../sdk/dispute/client.ts';
import { linkElement, linkTensor } from '../sdk/dispute/openings.ts';

export type Source = 'market' | 'game' | 'vault';

/** One decoded log. */
export interface ChainLog {
  readonly source: Source;
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly blockNumber: bigint;
  readonly logIndex: number;
  readonly transactionHash: string;
}

export interface JobViewInput {
  readonly status: string;
  readonly solver: string;
  readonly committed: number;
  readonly checkpointCount: number;
  readonly claimDeadline: number;
  readonly trainingDeadline: number;
  readonly challengeWindow: number;
  readonly challengeDeadline: number;
  readonly openDisputes: number;
}

export interface DisputeViewInput {
  readonly stage: number;
  readonly lo: bigint;
  readonly hi: bigint;
  readonly solverClock: number;
  readonly challengerClock: number;
  readonly lastMoveAt: number;
  readonly active: boolean;
  /** Who moves now and the seconds left on that side's clock (absent once the game is over). */
  readonly mover?: { readonly who: string; readonly left: number } | undefined;
}

export interface AccountViewInput {
  readonly staked: bigint;
  readonly locked: bigint;
  readonly pendingUnstake: bigint;
  readonly marketCredit: bigint;
  readonly gameCredit: bigint;
}

export interface SpecSummary {
  /** describeModel's one line, e.g. "MLP 784-32-10 relu". */
  readonly model: string;
  readonly loss: string;
  readonly steps: number;
  readonly checkpointInterval: number;
  readonly batchSize: number;
  /** The optimizer and its main settings, e.g. "sgd-momentum lr 0.05 μ 0.9". */
  readonly optimizer: string;
  readonly recordCount: number;
  readonly dataCid: string;
}

/** A loss point the explorer computed from one committed checkpoint. */
export interface LossPoint {
  readonly index: number;
  readonly step: number;
  readonly train: number;
  /** Absent when no held-out split fits the job. */
  readonly validation?: number | undefined;
}

/** A verifier's published report on one job (`veritrain-verifier report --json`). */
export interface PublishedReport {
  /** Where it was read from (a file or URL the explorer was given). */
  readonly source: string;
  readonly checked: number;
  readonly intervals: number;
  readonly detection: number;
  readonly fakeFraction: number;
  /** Absent in reports of verifiers older than the explorer. */
  readonly checkedIntervals?: readonly number[] | undefined;
}

export interface SnapshotInput {
  readonly chainId: number;
  readonly head: { readonly number: bigint; readonly timestamp: number };
  readonly contracts: { readonly market: string; readonly game: string; readonly vault: string };
  /** Where the protocol's share of slashes goes. */
  readonly treasury?: string | undefined;
  readonly token: { readonly symbol: string; readonly decimals: number };
  readonly clockBudget: number;
  readonly logs: readonly ChainLog[];
  readonly blockTimes: ReadonlyMap<bigint, number>;
  readonly jobs: ReadonlyMap<bigint, JobViewInput>;
  readonly disputes: ReadonlyMap<bigint, DisputeViewInput>;
  readonly accounts: ReadonlyMap<string, AccountViewInput>;
  /** Receipt of every transaction that emitted a log: sender and gas used. */
  readonly receipts: ReadonlyMap<string, { readonly from: string; readonly gasUsed: bigint }>;
  readonly specs: ReadonlyMap<bigint, SpecSummary>;
  /** "update.Wt1 (SGD_WEIGHT)" for an op of a job's graph, when its spec is known. */
  readonly opName: (jobId: bigint, op: number) => string | undefined;
  readonly losses: ReadonlyMap<bigint, { readonly points: readonly LossPoint[]; readonly trainRecords: number; readonly error?: string | undefined }>;
  /** The held-out split the validation loss is computed on, by name. */
  readonly validation: { readonly name: string } | undefined;
  readonly reports: ReadonlyMap<bigint, readonly PublishedReport[]>;
  readonly labels: ReadonlyMap<string, string>;
}

export interface CheckpointView {
  readonly index: number;
  readonly stateRoot: string;
  readonly cid: string | null;
  readonly block: string;
  readonly time: number | null;
  readonly tx: string;
}

export interface JobView {
  readonly id: string;
  readonly status: string;
  readonly submitter: string;
  readonly solver: string | null;
  readonly payment: string;
  readonly solverStake: string;
  readonly specHash: string;
  /** Checkpoints committed so far (0..committed-1) and the job's total (checkpoint 0 to the final one). */
  readonly committed: number;
  readonly total: number;
  readonly postedAt: number | null;
  readonly claimDeadline: number;
  readonly trainingDeadline: number;
  readonly challengeWindow: number;
  readonly challengeDeadline: number;
  readonly openDisputes: number;
  readonly spec: SpecSummary | null;
  readonly checkpoints: readonly CheckpointView[];
  readonly losses: readonly LossPoint[];
  readonly lossNote: string;
  readonly reports: readonly PublishedReport[];
  readonly disputes: readonly string[];
}

export interface MoveView {
  readonly kind: string;
  readonly block: string;
  readonly time: number | null;
  readonly tx: string;
  readonly by: 'solver' | 'challenger' | 'chain';
  /** The step range still in dispute after this move. */
  readonly lo: string | null;
  readonly hi: string | null;
  readonly text: string;
}

export interface DisputeView {
  readonly id: string;
  readonly jobId: string;
  readonly interval: number;
  readonly challenger: string;
  readonly solver: string;
  readonly bond: string;
  readonly stage: string;
  readonly over: boolean;
  readonly active: boolean;
  readonly lo: string;
  readonly hi: string;
  readonly startLo: string;
  readonly startHi: string;
  readonly solverClock: number;
  readonly challengerClock: number;
  readonly clockBudget: number;
  readonly lastMoveAt: number;
  readonly mover: { readonly who: string; readonly side: 'solver' | 'challenger'; readonly left: number } | null;
  readonly traceRoot: string | null;
  readonly pointed: { readonly op: number; readonly element: string; readonly name: string } | null;
  readonly verdict: string | null;
  readonly moves: readonly MoveView[];
  readonly payouts: readonly { readonly account: string; readonly amount: string; readonly from: 'market' | 'game' }[];
}

export interface AccountView {
  readonly address: string;
  readonly label: string | null;
  readonly roles: readonly string[];
  readonly staked: string;
  readonly locked: string;
  readonly pendingUnstake: string;
  readonly credit: string;
  readonly gameCredit: string;
  readonly withdrawn: string;
  readonly gasUsed: string;
  readonly transactions: number;
}

export interface Snapshot {
  readonly chainId: number;
  readonly head: { readonly number: string; readonly timestamp: number };
  readonly contracts: SnapshotInput['contracts'];
  readonly token: SnapshotInput['token'];
  readonly validation: SnapshotInput['validation'] | null;
  readonly jobs: readonly JobView[];
  readonly disputes: readonly DisputeView[];
  readonly accounts: readonly AccountView[];
  readonly events: number;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(str(v)));
const lower = (v: unknown): string => str(v).toLowerCase();
const short = (h: unknown): string => `${str(h).slice(0, 10)}…`;

/** Where a pointed element is, in words: an op's output element, or an element of a state tensor. */
export function pointedName(op: number, element: bigint, name: string | undefined): string {
  if (op === NEXT_STATE || op === STATE_COPY || op === INITIAL_STATE) {
    const what = op === NEXT_STATE ? 'the next state' : op === STATE_COPY ? "the trace's copy of the state" : 'the initial state';
    return `element ${linkElement(element)} of tensor ${linkTensor(element)} of ${what}`;
  }
  return `element ${element} of op ${op}${name === undefined ? '' : ` (${name})`}`;
}

export function buildSnapshot(input: SnapshotInput): Snapshot {
  const time = (block: bigint): number | null => input.blockTimes.get(block) ?? null;
  const logs = [...input.logs].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  const roles = new Map<string, Set<string>>();
  const role = (account: unknown, r: string): void => {
    const a = lower(account);
    roles.set(a, (roles.get(a) ?? new Set()).add(r));
  };
  const withdrawn = new Map<string, bigint>();
  if (input.treasury !== undefined) role(input.treasury, 'treasury');

  // ---- jobs -------------------------------------------------------------------------------------
  const posted = new Map<bigint, ChainLog>();
  const checkpoints = new Map<bigint, CheckpointView[]>();
  const jobDisputes = new Map<bigint, string[]>();
  for (const l of logs) {
    const a = l.args;
    if (l.source === 'market' && l.name === 'JobPosted') {
      posted.set(big(a.jobId), l);
      role(a.submitter, 'submitter');
    } else if (l.source === 'market' && l.name === 'JobClaimed') role(a.solver, 'solver');
    else if (l.source === 'market' && l.name === 'CheckpointCommitted') {
      const list = checkpoints.get(big(a.jobId)) ?? [];
      const cid = cidFromBytes(a.cid as `0x${string}`);
      list.push({
        index: Number(a.index),
        stateRoot: str(a.stateRoot),
        cid: cid ?? null,
        block: str(l.blockNumber),
        time: time(l.blockNumber),
        tx: l.transactionHash,
      });
      checkpoints.set(big(a.jobId), list);
    } else if (l.source === 'game' && l.name === 'DisputeCreated') {
      const list = jobDisputes.get(big(a.jobId)) ?? [];
      list.push(str(a.disputeId));
      jobDisputes.set(big(a.jobId), list);
      role(a.challenger, 'challenger');
    } else if (l.name === 'Withdrawn' && l.source !== 'vault') {
      withdrawn.set(lower(a.account), (withdrawn.get(lower(a.account)) ?? 0n) + big(a.amount));
    } else if (l.source === 'vault' && l.name === 'Staked') role(a.account, 'staker');
  }
  const jobs: JobView[] = [...posted].map(([id, p]) => {
    const v = input.jobs.get(id);
    const a = p.args;
    const loss = input.losses.get(id);
    const spec = input.specs.get(id) ?? null;
    const validationFits = input.validation !== undefined && loss?.points.some((x) => x.validation !== undefined) === true;
    const lossNote =
      loss === undefined
        ? spec === null
          ? 'the job spec is not in the content store (yet)'
          : 'no checkpoint fetched yet'
        : `computed by this explorer from each committed checkpoint (checked against its on-chain root): training loss on the first ${loss.trainRecords} training records${validationFits ? `, validation loss on the held-out split: ${input.validation.name}` : input.validation === undefined ? '; no held-out split configured' : '; the held-out split does not fit this job'}${loss.error === undefined ? '' : `; last error: ${loss.error}`}`;
    return {
      id: str(id),
      status: v?.status ?? 'Open',
      submitter: lower(a.submitter),
      solver: v === undefined || /^0x0+$/.test(v.solver) ? null : v.solver.toLowerCase(),
      payment: str(a.payment),
      solverStake: str(a.solverStake),
      specHash: str(a.specHash),
      committed: v?.committed ?? checkpoints.get(id)?.length ?? 0,
      total: (v?.checkpointCount ?? Number(a.checkpointCount)) + 1,
      postedAt: time(p.blockNumber),
      claimDeadline: v?.claimDeadline ?? Number(a.claimDeadline),
      trainingDeadline: v?.trainingDeadline ?? 0,
      challengeWindow: v?.challengeWindow ?? Number(a.challengeWindow),
      challengeDeadline: v?.challengeDeadline ?? 0,
      openDisputes: v?.openDisputes ?? 0,
      spec,
      checkpoints: (checkpoints.get(id) ?? []).sort((x, y) => x.index - y.index),
      losses: [...(loss?.points ?? [])].sort((x, y) => x.index - y.index),
      lossNote,
      reports: input.reports.get(id) ?? [],
      disputes: jobDisputes.get(id) ?? [],
    };
  });

  // ---- disputes ---------------------------------------------------------------------------------
  const created = logs.filter((l) => l.source === 'game' && l.name === 'DisputeCreated');
  const disputes: DisputeView[] = created.map((c) => {
    const id = big(c.args.disputeId);
    const jobId = big(c.args.jobId);
    const mine = logs.filter((l) => l.source === 'game' && l.args.disputeId !== undefined && big(l.args.disputeId) === id);
    let lo = big(c.args.lo);
    let hi = big(c.args.hi);
    let traceRoot: string | null = null;
    let pointed: DisputeView['pointed'] = null;
    let verdict: string | null = null;
    const resolvedTx = new Set<string>();
    const moves: MoveView[] = [];
    for (const l of mine) {
      const a = l.args;
      const m = (by: MoveView['by'], kind: string, text: string): void => {
        moves.push({ kind, by, text, block: str(l.blockNumber), time: time(l.blockNumber), tx: l.transactionHash, lo: str(lo), hi: str(hi) });
      };
      switch (l.name) {
        case 'DisputeCreated':
          m('challenger', 'opened', `opens the dispute on interval ${str(a.interval)} (steps ${str(a.lo)}..${str(a.hi)}), posting its bond`);
          break;
        case 'DisputeActivated':
          m('chain', 'activated', 'the active dispute of its job: its clocks run');
          break;
        case 'MidpointPosted':
          m('solver', 'midpoint', `posts its state at step ${str(a.step)}: ${short(a.stateRoot)}`);
          break;
        case 'HalfChosen':
          lo = big(a.lo);
          hi = big(a.hi);
          m('challenger', 'half', `disputes the ${a.left === true ? 'left' : 'right'} half: steps ${str(a.lo)}..${str(a.hi)}`);
          break;
        case 'TracePosted':
          lo = big(a.step);
          hi = lo + 1n;
          traceRoot = str(a.traceRoot);
          m('solver', 'trace', `one step left (${str(a.step)} → ${str(lo + 1n)}): posts its op-trace root ${str(a.traceRoot)}`);
          break;
        case 'ElementPointed': {
          const op = Number(a.op);
          const name = pointedName(op, big(a.element), input.opName(jobId, op));
          pointed = { op, element: str(a.element), name };
          m('challenger', 'point', `points at ${name}`);
          break;
        }
        case 'ElementOpened':
          m(
            'solver',
            'opened-element',
            `opens the element with its inputs and proofs; the chain recomputes it exactly: ${a.valid === true ? 'VALID (within its error bound)' : 'INVALID (outside its rigorous error bound)'}`,
          );
          break;
        case 'DataDemanded':
          m('challenger', 'demand', `demands the data behind the solver's root (stage ${STAGE_NAMES[Number(a.stage) as StageCode]}), with a deposit`);
          break;
        case 'DataPublished':
          m('solver', 'publish', `publishes tensor ${str(a.tensor)}, leaves ${str(a.firstLeaf)}..${str(big(a.firstLeaf) + big(a.leafCount) - 1n)}`);
          break;
        case 'DisputeResolved':
          verdict = STAGE_NAMES[Number(a.outcome) as StageCode];
          resolvedTx.add(l.transactionHash);
          m('chain', 'resolved', `resolved: ${verdict}`);
          break;
        default:
          break;
      }
    }
    const payouts = logs
      .filter((l) => resolvedTx.has(l.transactionHash) && l.name === 'Credited' && l.source !== 'vault')
      .map((l) => ({ account: lower(l.args.account), amount: str(l.args.amount), from: l.source as 'market' | 'game' }));
    const v = input.disputes.get(id);
    const stage = v === undefined ? (verdict ?? 'AwaitMidpoint') : STAGE_NAMES[v.stage as StageCode];
    const over = v === undefined ? verdict !== null : v.stage === 0 || v.stage >= 8;
    const solver = lower(c.args.solver);
    return {
      id: str(id),
      jobId: str(jobId),
      interval: Number(c.args.interval),
      challenger: lower(c.args.challenger),
      solver,
      bond: str(c.args.bond),
      stage,
      over,
      active: v?.active ?? false,
      lo: str(v?.lo ?? lo),
      hi: str(v?.hi ?? hi),
      startLo: str(c.args.lo),
      startHi: str(c.args.hi),
      solverClock: v?.solverClock ?? input.clockBudget,
      challengerClock: v?.challengerClock ?? input.clockBudget,
      clockBudget: input.clockBudget,
      lastMoveAt: v?.lastMoveAt ?? 0,
      mover:
        v?.mover === undefined || over
          ? null
          : { who: v.mover.who.toLowerCase(), side: v.mover.who.toLowerCase() === solver ? 'solver' : 'challenger', left: v.mover.left },
      traceRoot,
      pointed,
      verdict,
      moves,
      payouts,
    };
  });

  // ---- accounts ---------------------------------------------------------------------------------
  const gas = new Map<string, { gas: bigint; n: number }>();
  for (const r of input.receipts.values()) {
    const row = gas.get(r.from.toLowerCase()) ?? { gas: 0n, n: 0 };
    gas.set(r.from.toLowerCase(), { gas: row.gas + r.gasUsed, n: row.n + 1 });
  }
  const addresses = new Set<string>([...input.accounts.keys()].map((a) => a.toLowerCase()));
  const accounts: AccountView[] = [...addresses].sort().map((address) => {
    const v = input.accounts.get(address);
    const g = gas.get(address);
    return {
      address,
      label: input.labels.get(address) ?? null,
      roles: [...(roles.get(address) ?? [])],
      staked: str(v?.staked ?? 0n),
      locked: str(v?.locked ?? 0n),
      pendingUnstake: str(v?.pendingUnstake ?? 0n),
      credit: str(v?.marketCredit ?? 0n),
      gameCredit: str(v?.gameCredit ?? 0n),
      withdrawn: str(withdrawn.get(address) ?? 0n),
      gasUsed: str(g?.gas ?? 0n),
      transactions: g?.n ?? 0,
    };
  });

  return {
    chainId: input.chainId,
    head: { number: str(input.head.number), timestamp: input.head.timestamp },
    contracts: input.contracts,
    token: input.token,
    validation: input.validation ?? null,
    jobs,
    disputes,
    accounts,
    events: logs.length,
  };
}

/** Every account a log names (submitters, solvers, challengers, stakers, credited and withdrawing accounts). */
export function accountsOf(logs: readonly ChainLog[]): Set<string> {
  const out = new Set<string>();
  for (const l of logs) {
    for (const key of ['submitter', 'solver', 'challenger', 'account'] as const) {
      const v = l.args[key];
      if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v) && !/^0x0+$/.test(v)) out.add(v.toLowerCase());
    }
  }
  return out;
}
