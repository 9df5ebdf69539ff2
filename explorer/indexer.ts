/**
 * The explorer's indexer: follows the chain's logs of the market, the dispute game and the stake
 * vault from the deployment block (eth_getLogs in bounded ranges, so any JSON-RPC works), reads
 * the views of every job, dispute and account at each new head, and, when a content store is
 * given, fetches job specs (op names) and committed checkpoints (losses). No private database:
 * everything it shows can be rebuilt from the chain and the content store by anyone.
 */
import { readFile } from 'node:fs/promises';
import { erc20Abi, parseEventLogs, type Address, type Hex } from 'viem';
import { disputeGameAbi, jobMarketAbi, stakingVaultAbi } from '../sdk/abi/index.ts';
import type { ChainClient } from '../sdk/chain/client.ts';
import { cidFromBytes } from '../sdk/chain/market.ts';
import { jobStatusName } from '../sdk/chain/revert.ts';
import { Stage } from '../sdk/dispute/client.ts';
import { buildGraph, OP_KIND_NAMES, type Graph } from '../sdk/graph/graph.ts';
import type { Logger } from '../sdk/log.ts';
import { recordBytes, type JobSpec } from '../sdk/spec/job-spec.ts';
import { describeModel } from '../sdk/spec/model.ts';
import { fetchDataset, fetchJobSpec, fetchState } from '../sdk/storage/objects.ts';
import type { ContentStore } from '../sdk/storage/types.ts';
import { checkpointLoss } from './loss.ts';
import {
  accountsOf,
  buildSnapshot,
  type AccountViewInput,
  type ChainLog,
  type DisputeViewInput,
  type JobViewInput,
  type LossPoint,
  type PublishedReport,
  type Snapshot,
  type SpecSummary,
} from './snapshot.ts';

export interface IndexerOptions {
  readonly client: ChainClient;
  /** Where specs and checkpoints are fetched from; without one, no op names and no losses. */
  readonly store?: ContentStore | undefined;
  /** A held-out split (records in the job's layout) for the validation loss. */
  readonly validation?: { readonly name: string; readonly records: Uint8Array } | undefined;
  /** Training records the training loss is computed on (the first ones of the job's dataset). */
  readonly lossRecords: number;
  /** Files or http(s) URLs of verifiers' published reports (JSON lines of `veritrain-verifier report --json`). */
  readonly reports: readonly string[];
  /** Names for addresses (lowercase). */
  readonly labels: ReadonlyMap<string, string>;
  readonly logger: Logger;
  readonly pollMs: number;
  /** Blocks per eth_getLogs call. */
  readonly logRange?: number | undefined;
}

export interface Indexer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The latest snapshot (undefined before the first one is built). */
  snapshot(): Snapshot | undefined;
  /** Bumped whenever the snapshot changes. */
  version(): number;
  /** Called after each change; returns an unsubscribe function. */
  onChange(listener: (version: number) => void): () => void;
}

const FETCH_TIMEOUT_MS = 60_000;
/** Wait before fetching content again that did not come (withheld, or no peer has it yet). */
const RETRY_MS = 10_000;

export function createIndexer(o: IndexerOptions): Indexer {
  const { client } = o;
  const pc = client.publicClient;
  const log = o.logger.child({ component: 'indexer' });
  const market = client.deployment.contracts.JobMarket.address;
  const game = client.deployment.contracts.DisputeGame.address;
  const vault = client.deployment.contracts.StakingVault.address;
  const range = BigInt(o.logRange ?? 5_000);

  const logs: ChainLog[] = [];
  const blockTimes = new Map<bigint, number>();
  const receipts = new Map<string, { from: string; gasUsed: bigint }>();
  const jobs = new Map<bigint, JobViewInput>();
  const disputes = new Map<bigint, DisputeViewInput>();
  const accounts = new Map<string, AccountViewInput>();
  const specs = new Map<bigint, JobSpec>();
  const specFailures = new Map<bigint, number>();
  const retryAt = new Map<string, number>();
  const graphs = new Map<bigint, Graph>();
  const losses = new Map<bigint, { points: LossPoint[]; trainRecords: number; error?: string | undefined }>();
  const datasets = new Map<string, Uint8Array>();
  const reports = new Map<bigint, PublishedReport[]>();
  const listeners = new Set<(version: number) => void>();
  let token = { symbol: 'tokens', decimals: 18 };
  let clockBudget = client.deployment.parameters.clockBudget;
  let next = BigInt(client.deployment.deployedAt);
  let head = { number: 0n, timestamp: 0 };
  let current: Snapshot | undefined;
  let version = 0;
  const controller = new AbortController();
  const stopped = (): boolean => controller.signal.aborted;
  let loop: Promise<void> | undefined;
  let contentLoop: Promise<void> | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      controller.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });

  const rebuild = (): void => {
    current = buildSnapshot({
      chainId: client.chainId,
      head,
      contracts: { market, game, vault },
      treasury: client.deployment.treasury,
      token,
      clockBudget,
      logs,
      blockTimes,
      jobs,
      disputes,
      accounts,
      receipts,
      specs: new Map([...specs].map(([id, s]) => [id, summary(s)])),
      opName: (jobId, op) => {
        const desc = graphs.get(jobId)?.ops[op];
        return desc === undefined ? undefined : `${desc.name}, ${OP_KIND_NAMES[desc.kind]}`;
      },
      losses,
      validation: o.validation === undefined ? undefined : { name: o.validation.name },
      reports,
      labels: o.labels,
    });
    version++;
    for (const l of listeners) l(version);
  };

  /** New logs up to the head, their blocks' times and their transactions' receipts. */
  const pull = async (to: bigint): Promise<boolean> => {
    let got = false;
    while (next <= to) {
      const end = next + range - 1n < to ? next + range - 1n : to;
      const raw = await pc.getLogs({ address: [market, game, vault], fromBlock: next, toBlock: end });
      const of = (address: Address) => raw.filter((l) => l.address.toLowerCase() === address.toLowerCase());
      const decoded: ChainLog[] = [
        ...parseEventLogs({ abi: jobMarketAbi, logs: of(market) }).map((l) => ({ ...l, source: 'market' as const })),
        ...parseEventLogs({ abi: disputeGameAbi, logs: of(game) }).map((l) => ({ ...l, source: 'game' as const })),
        ...parseEventLogs({ abi: stakingVaultAbi, logs: of(vault) }).map((l) => ({ ...l, source: 'vault' as const })),
      ].map((l) => ({
        source: l.source,
        name: l.eventName,
        args: l.args,
        blockNumber: l.blockNumber,
        logIndex: l.logIndex,
        transactionHash: l.transactionHash,
      }));
      const blocks = [...new Set(decoded.map((l) => l.blockNumber))].filter((b) => !blockTimes.has(b));
      const txs = [...new Set(decoded.map((l) => l.transactionHash))].filter((h) => !receipts.has(h));
      for (let i = 0; i < blocks.length; i += 20) {
        const chunk = blocks.slice(i, i + 20);
        const got = await Promise.all(chunk.map((blockNumber) => pc.getBlock({ blockNumber })));
        for (const b of got) blockTimes.set(b.number, Number(b.timestamp));
      }
      for (let i = 0; i < txs.length; i += 20) {
        const got = await Promise.all(txs.slice(i, i + 20).map((hash) => pc.getTransactionReceipt({ hash: hash as Hex })));
        for (const r of got) receipts.set(r.transactionHash, { from: r.from, gasUsed: r.gasUsed });
      }
      logs.push(...decoded);
      if (decoded.length > 0) got = true;
      next = end + 1n;
    }
    return got;
  };

  /** Views of every job, dispute and account at the head. */
  const readViews = async (at: bigint): Promise<void> => {
    const jobIds = [...new Set(logs.filter((l) => l.name === 'JobPosted').map((l) => l.args.jobId as bigint))];
    const disputeIds = [...new Set(logs.filter((l) => l.name === 'DisputeCreated').map((l) => l.args.disputeId as bigint))];
    const addresses = [...accountsOf(logs)] as Address[];
    const read = <T>(args: Parameters<typeof pc.readContract>[0]): Promise<T> => pc.readContract({ ...args, blockNumber: at }) as Promise<T>;
    const [jobRows, disputeRows, accountRows] = await Promise.all([
      Promise.all(jobIds.map((jobId) => pc.readContract({ address: market, abi: jobMarketAbi, functionName: 'getJob', args: [jobId], blockNumber: at }))),
      Promise.all(
        disputeIds.map(async (disputeId) => {
          const d = await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'getDispute', args: [disputeId], blockNumber: at });
          const active = await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'activeDispute', args: [d.jobId], blockNumber: at });
          const over = d.stage === Stage.None || d.stage >= Stage.SolverWon;
          const mover =
            over || active !== disputeId
              ? undefined
              : await pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'mover', args: [disputeId], blockNumber: at }).catch(() => undefined);
          return { d, active: active === disputeId, mover };
        }),
      ),
      Promise.all(
        addresses.map(async (account) => {
          const [stake, credits, gameCredit] = await Promise.all([
            pc.readContract({ address: vault, abi: stakingVaultAbi, functionName: 'stakeOf', args: [account], blockNumber: at }),
            Promise.all(
              client.deployment.paymentTokens.map((t) => read<bigint>({ address: market, abi: jobMarketAbi, functionName: 'creditOf', args: [account, t] })),
            ),
            pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [account], blockNumber: at }),
          ]);
          return { account, stake, credit: credits.reduce((a, b) => a + b, 0n), gameCredit };
        }),
      ),
    ]);
    jobIds.forEach((jobId, i) => {
      const j = jobRows[i];
      if (j === undefined) return;
      jobs.set(jobId, {
        status: jobStatusName(j.status),
        solver: j.solver,
        committed: j.committed,
        checkpointCount: j.checkpointCount,
        claimDeadline: j.claimDeadline,
        trainingDeadline: j.trainingDeadline,
        challengeWindow: j.challengeWindow,
        challengeDeadline: j.challengeDeadline,
        openDisputes: j.openDisputes,
      });
    });
    disputeIds.forEach((disputeId, i) => {
      const r = disputeRows[i];
      if (r === undefined) return;
      const { d } = r;
      disputes.set(disputeId, {
        stage: d.stage,
        lo: d.lo,
        hi: d.hi,
        solverClock: d.solverClock,
        challengerClock: d.challengerClock,
        lastMoveAt: d.lastMoveAt,
        active: r.active,
        mover: r.mover === undefined ? undefined : { who: r.mover[0], left: r.mover[1] },
      });
    });
    for (const r of accountRows) {
      accounts.set(r.account.toLowerCase(), {
        staked: r.stake.staked,
        locked: r.stake.locked,
        pendingUnstake: r.stake.pendingUnstake,
        marketCredit: r.credit,
        gameCredit: r.gameCredit,
      });
    }
  };

  const readReports = async (): Promise<boolean> => {
    if (o.reports.length === 0) return false;
    const fresh = new Map<bigint, PublishedReport[]>();
    for (const source of o.reports) {
      let text: string;
      try {
        text = /^https?:\/\//.test(source) ? await (await fetch(source, { signal: AbortSignal.timeout(5_000) })).text() : await readFile(source, 'utf8');
      } catch {
        continue; // not published (yet)
      }
      const latest = new Map<bigint, PublishedReport>();
      for (const line of text.split('\n')) {
        if (!line.trim().startsWith('{')) continue;
        try {
          const r = JSON.parse(line) as Record<string, unknown>;
          if (typeof r.jobId !== 'string' && typeof r.jobId !== 'number') continue;
          latest.set(BigInt(r.jobId), {
            source,
            checked: Number(r.checked),
            intervals: Number(r.intervals),
            detection: Number(r.detection),
            fakeFraction: Number(r.fakeFraction),
            checkedIntervals: Array.isArray(r.checkedIntervals) ? r.checkedIntervals.map(Number) : undefined,
          });
        } catch {
          // a line being written, or not a report
        }
      }
      for (const [jobId, r] of latest) fresh.set(jobId, [...(fresh.get(jobId) ?? []), r]);
    }
    const key = (m: ReadonlyMap<bigint, PublishedReport[]>): string => JSON.stringify([...m].map(([id, r]) => [id.toString(), r]));
    const changed = key(fresh) !== key(reports);
    if (changed) {
      reports.clear();
      for (const [k, v] of fresh) reports.set(k, v);
    }
    return changed;
  };

  const follow = async (): Promise<void> => {
    try {
      const [symbol, decimals, budget] = await Promise.all([
        pc.readContract({ address: client.deployment.stakeToken, abi: erc20Abi, functionName: 'symbol' }).catch(() => 'tokens'),
        pc.readContract({ address: client.deployment.stakeToken, abi: erc20Abi, functionName: 'decimals' }).catch(() => 18),
        pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'clockBudget' }).catch(() => clockBudget),
      ]);
      token = { symbol, decimals };
      clockBudget = budget;
    } catch {
      // defaults stand
    }
    while (!controller.signal.aborted) {
      try {
        const block = await pc.getBlock({ blockTag: 'latest' });
        let changed = false;
        if (block.number !== head.number) {
          await pull(block.number);
          await readViews(block.number);
          head = { number: block.number, timestamp: Number(block.timestamp) };
          changed = true;
        }
        if (await readReports()) changed = true;
        if (changed || current === undefined) rebuild();
      } catch (err) {
        if (stopped()) return;
        log.warn('chain read failed; retrying', { error: err instanceof Error ? err.message : String(err) });
      }
      await sleep(o.pollMs);
    }
  };

  /** Specs, then each committed checkpoint's losses, one fetch at a time. */
  const fetchContent = async (store: ContentStore): Promise<void> => {
    while (!controller.signal.aborted) {
      let worked = false;
      for (const l of logs.filter((x) => x.name === 'JobPosted')) {
        if (stopped()) return;
        const jobId = l.args.jobId as bigint;
        if (!specs.has(jobId) && (specFailures.get(jobId) ?? 0) < Date.now()) {
          try {
            const spec = await fetchJobSpec(store, l.args.specHash as Hex, {
              signal: AbortSignal.any([controller.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
            });
            specs.set(jobId, spec);
            graphs.set(jobId, buildGraph(spec));
            worked = true;
          } catch (err) {
            specFailures.set(jobId, Date.now() + RETRY_MS);
            log.warn('job spec not fetched', { jobId: jobId.toString(), error: err instanceof Error ? err.message : String(err) });
          }
        }
        const spec = specs.get(jobId);
        if (spec !== undefined && (await lossesOf(store, jobId, spec))) worked = true;
      }
      if (worked) rebuild();
      await sleep(worked ? 0 : o.pollMs);
    }
  };

  const lossesOf = async (store: ContentStore, jobId: bigint, spec: JobSpec): Promise<boolean> => {
    const entry = losses.get(jobId) ?? { points: [], trainRecords: 0 };
    const done = new Set(entry.points.map((p) => p.index));
    // The next checkpoint without a loss, skipping for a while those whose content did not come.
    const first = logs.find(
      (l) =>
        l.name === 'CheckpointCommitted' &&
        l.args.jobId === jobId &&
        !done.has(Number(l.args.index)) &&
        (retryAt.get(`${jobId}:${Number(l.args.index)}`) ?? 0) <= Date.now(),
    );
    if (first === undefined) return false;
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]);
    const size = recordBytes(spec);
    try {
      let data = datasets.get(spec.data.cid);
      if (data === undefined) {
        data = await fetchDataset(store, spec.data.cid, { datasetRoot: spec.data.root, recordBytes: size }, { signal });
        datasets.set(spec.data.cid, data);
      }
      const train = data.subarray(0, Math.min(o.lossRecords, spec.data.recordCount) * size);
      const fits = o.validation !== undefined && o.validation.records.length % size === 0 && o.validation.records.length > 0;
      const index = Number(first.args.index);
      const cid = cidFromBytes(first.args.cid as Hex);
      if (cid === undefined) throw new Error(`checkpoint ${index} was committed without a CID`);
      const state = await fetchState(store, cid, first.args.stateRoot as Hex, { signal });
      entry.points.push({
        index,
        step: index * spec.training.checkpointInterval,
        train: checkpointLoss(spec, state, train),
        ...(fits ? { validation: checkpointLoss(spec, state, o.validation.records) } : {}),
      });
      entry.trainRecords = train.length / size;
      delete entry.error;
      losses.set(jobId, entry);
      return true;
    } catch (err) {
      if (stopped()) return false;
      entry.error = err instanceof Error ? err.message : String(err);
      losses.set(jobId, entry);
      retryAt.set(`${jobId}:${Number(first.args.index)}`, Date.now() + RETRY_MS);
      log.warn('checkpoint loss not computed', { jobId: jobId.toString(), error: entry.error });
      return false;
    }
  };

  return {
    async start() {
      loop = follow();
      if (o.store !== undefined) contentLoop = fetchContent(o.store);
      // The first snapshot, so the page never opens on nothing.
      const t0 = Date.now();
      while (current === undefined && Date.now() - t0 < 30_000 && !controller.signal.aborted) await sleep(50);
    },
    async stop() {
      controller.abort();
      await loop;
      await contentLoop;
    },
    snapshot: () => current,
    version: () => version,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const summary = (s: JobSpec): SpecSummary => ({
  model: describeModel(s.model),
  loss: s.model.loss,
  steps: s.training.steps,
  checkpointInterval: s.training.checkpointInterval,
  batchSize: s.training.batchSize,
  optimizer:
    s.optimizer.kind === 'adamw'
      ? `adamw lr ${s.optimizer.learningRate} (${s.optimizer.schedule.kind}) λ ${s.optimizer.weightDecay}`
      : `sgd-momentum lr ${s.optimizer.learningRate} μ ${s.optimizer.momentum}`,
  recordCount: s.data.recordCount,
  dataCid: s.data.cid,
});
