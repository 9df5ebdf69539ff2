/**
 * The job lifecycle: discover jobs (market events and gossip), decide, claim, train, upload and
 * commit every checkpoint, submit the final one, wait out the challenge window, finalize and
 * withdraw. Every step is reconciled with the chain before it acts and every transaction goes
 * through the journal, so a node killed at any moment picks up where it was and never sends an
 * action twice.
 */
import type { Address, Hex } from 'viem';
import { erc20Abi } from 'viem';
import {
  cidToBytes,
  decodeJobSpec,
  disputeGameAbi,
  encodeJobSpec,
  fetchDataset,
  fetchJobSpec,
  jobMarketAbi,
  marketSource,
  readCheckpointChain,
  readJob,
  recordBytes,
  stakingVaultAbi,
  VeritrainError,
  buildGraph,
  pollLoop,
  scanLogs,
  storeCursor,
  type Clock,
  type ContentStore,
  type JobRecord,
  type Logger,
  type P2PNode,
  type ProgressLine,
  type RootHasher,
  type Service,
  type TxJournal,
  type WalletChainClient,
  type BackendName,
} from '../../sdk/index.ts';
import type { JobRow, SolverDb } from '../db.ts';
import { toTokens, type SolverMetrics } from './metrics.ts';
import { decideClaim, type ClaimPolicy } from './policy.ts';
import { trainJob } from './training.ts';
import { readSavedDataset, saveDataset, type JobWorkspace } from './workspace.ts';
import type { Workspaces } from './workspaces.ts';

export interface JobsServiceOptions {
  readonly dataDir: string;
  readonly policy: ClaimPolicy;
  readonly backend: BackendName;
  readonly selfCheckEvery: number;
  readonly fetchTimeoutMs: number;
  readonly pollingIntervalMs: number;
  readonly fromBlock?: number | undefined;
  readonly maxConcurrentJobs: number;
}

export interface JobsServiceComponents {
  readonly db: SolverDb;
  readonly client: WalletChainClient;
  readonly store: ContentStore;
  readonly p2p: P2PNode;
  readonly hasher: RootHasher;
  readonly journal: TxJournal;
  readonly workspaces: Workspaces;
  readonly metrics: SolverMetrics;
  readonly progress: ProgressLine;
  readonly logger: Logger;
  readonly clock: Clock;
}

const MAX_EVALUATIONS = 5;

export function createJobsService(options: JobsServiceOptions, components: JobsServiceComponents): Service & { idle(): boolean } {
  const { db, client, store, p2p, journal, workspaces, metrics, progress, clock } = components;
  const log = components.logger.child({ component: 'jobs' });
  const me = client.signer.address;
  const market = client.deployment.contracts.JobMarket.address;
  const vault = client.deployment.contracts.StakingVault.address;
  const tasks = new Map<string, Promise<void>>();
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;
  let trainingSlots = options.maxConcurrentJobs;
  const slotWaiters: (() => void)[] = [];

  const chainTime = async (): Promise<number> => Number((await client.publicClient.getBlock({ blockTag: 'latest' })).timestamp);
  /**
   * The root committed on chain for checkpoint `index`, or undefined while it is not committed.
   * Asked before every commit: the count alone answers the usual "not yet"; only a checkpoint
   * already committed (a resume, a race) costs reading the logs.
   */
  const checkpointRoot = async (jobId: bigint, index: number, signal: AbortSignal): Promise<Hex | undefined> => {
    const [, committed] = await client.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'checkpointChain', args: [jobId] });
    if (committed <= index) return undefined;
    return (await readCheckpointChain(marketSource(client), jobId, { signal })).checkpoints[index]?.stateRoot;
  };

  async function acquireSlot(signal: AbortSignal): Promise<void> {
    while (trainingSlots === 0) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        slotWaiters.push(resolve);
      });
    }
    trainingSlots--;
  }
  function releaseSlot(): void {
    trainingSlots++;
    slotWaiters.shift()?.();
  }

  function refreshJobGauge(): void {
    metrics.jobs.reset();
    for (const row of db.jobs()) metrics.jobs.inc(1, { state: row.state });
  }

  // ---- discovery ----------------------------------------------------------------------------

  async function discover(signal: AbortSignal): Promise<void> {
    await scanLogs({
      publicClient: client.publicClient,
      cursor: storeCursor(db.store, 'discovery.nextBlock'),
      start: BigInt(options.fromBlock ?? client.deployment.deployedAt),
      signal,
      read: (fromBlock, toBlock) => client.publicClient.getContractEvents({ address: market, abi: jobMarketAbi, eventName: 'JobPosted', fromBlock, toBlock }),
      handle: (events) => {
        for (const e of events) {
          const jobId = e.args.jobId;
          if (jobId !== undefined && db.addJob(jobId)) log.info('job discovered', { jobId, source: 'chain', block: e.blockNumber });
        }
      },
    });
  }

  async function evaluate(row: JobRow, signal: AbortSignal): Promise<void> {
    const jobId = BigInt(row.job_id);
    db.updateJob(jobId, { attempts: row.attempts + 1 });
    let job: JobRecord;
    try {
      job = await readJob(client, jobId, { signal });
    } catch (err) {
      if (err instanceof VeritrainError && err.code === 'JOB_NOT_FOUND') {
        db.updateJob(jobId, { state: 'skipped', reason: 'no such job on chain' });
        return;
      }
      throw err;
    }
    if (job.status !== 'Open') {
      db.updateJob(jobId, { state: 'skipped', reason: `job is ${job.status}` });
      return;
    }
    const fetchSignal = AbortSignal.any([signal, AbortSignal.timeout(options.fetchTimeoutMs)]);
    const spec = await fetchJobSpec(store, job.specHash, { signal: fetchSignal });
    if (buildGraph(spec).root !== spec.graphRoot) {
      db.updateJob(jobId, { state: 'skipped', reason: 'spec.graphRoot is not the root of the graph it defines' });
      return;
    }
    const free = await client.publicClient.readContract({ address: vault, abi: stakingVaultAbi, functionName: 'freeStakeOf', args: [me] });
    const game = client.deployment.contracts.DisputeGame.address;
    const clockBudget = await client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'clockBudget' });
    const decision = decideClaim({
      job,
      spec,
      freeStake: free,
      chainTime: await chainTime(),
      policy: options.policy,
      backend: options.backend,
      me,
      clockBudget,
    });
    db.updateJob(jobId, {
      spec_hash: job.specHash,
      spec: encodeJobSpec(spec),
      token: job.token,
      payment: job.payment.toString(),
      steps: spec.training.steps,
      checkpoints: job.checkpointCount,
    });
    if (!decision.claim) {
      log.info('job not claimed', { jobId, reason: decision.reason });
      if (decision.final || row.attempts + 1 >= MAX_EVALUATIONS) db.updateJob(jobId, { state: 'skipped', reason: decision.reason });
      else db.updateJob(jobId, { reason: decision.reason });
      return;
    }
    // The dataset before the claim: a job whose data cannot be had is not worth the stake.
    const records = await fetchDataset(store, spec.data.cid, { datasetRoot: spec.data.root, recordBytes: recordBytes(spec) }, { signal: fetchSignal });
    // Batch selection draws indices below the spec's recordCount: a record past the file could never be opened.
    const count = records.length / recordBytes(spec);
    if (count !== spec.data.recordCount) {
      db.updateJob(jobId, { state: 'skipped', reason: `the dataset has ${count} records, the spec says ${spec.data.recordCount}` });
      log.info('job not claimed', { jobId, reason: 'dataset record count differs from the spec' });
      return;
    }
    await saveDataset(options.dataDir, jobId, records);
    const outcome = await journal
      .once(
        {
          action: 'claim',
          jobId,
          done: async (s) => {
            const j = await readJob(client, jobId, { signal: s });
            if (j.status === 'Open') return false;
            if (j.solver.toLowerCase() === me.toLowerCase()) return true;
            throw new VeritrainError('CHAIN_REVERTED', `job ${jobId} was claimed by ${j.solver}`, { details: { jobId: jobId.toString() } });
          },
          send: (sender, onBroadcast, s) =>
            sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'claimJob', args: [jobId], signal: s, onBroadcast }),
        },
        signal,
      )
      .catch((err: unknown) => {
        db.updateJob(jobId, { state: 'lost', reason: err instanceof Error ? err.message : String(err) });
        log.warn('claim failed', { jobId, error: err });
        return undefined;
      });
    if (outcome === undefined) return;
    db.updateJob(jobId, { state: 'claimed', reason: null });
    log.info('job claimed', { jobId, payment: job.payment, steps: spec.training.steps, stake: job.solverStake });
  }

  // ---- the lifecycle of a claimed job -------------------------------------------------------

  async function commit(ws: JobWorkspace, index: number, root: Hex, file: Uint8Array, signal: AbortSignal): Promise<void> {
    const { jobId } = ws;
    const final = index === ws.lastIndex;
    const cid = await store.put(file, { signal });
    await journal.once(
      {
        action: final ? 'submit' : 'commit',
        jobId,
        index,
        done: async (s) => {
          const onChain = await checkpointRoot(jobId, index, s);
          if (onChain === undefined) return false;
          if (onChain !== root)
            throw new VeritrainError('CHAIN_MISMATCH', `checkpoint ${index} of job ${jobId} is ${onChain} on chain but ${root} here`, {
              details: { jobId: jobId.toString(), index },
            });
          return true;
        },
        send: (sender, onBroadcast, s) =>
          final
            ? sender.writeContract({
                address: market,
                abi: jobMarketAbi,
                functionName: 'submitFinal',
                args: [jobId, root, cidToBytes(cid)],
                signal: s,
                onBroadcast,
              })
            : sender.writeContract({
                address: market,
                abi: jobMarketAbi,
                functionName: 'commitCheckpoint',
                args: [jobId, index, root, cidToBytes(cid)],
                signal: s,
                onBroadcast,
              }),
      },
      signal,
    );
    db.updateJob(jobId, { committed: index });
    metrics.checkpoints.inc();
    progress.wrapWrite(() => {
      log.info(final ? 'final checkpoint submitted' : 'checkpoint committed', { jobId, index, root, cid });
    });
    p2p.publishCheckpoint({ market: market.toLowerCase(), jobId: jobId.toString(), index, stateRoot: root, cid }, { signal }).catch((err: unknown) => {
      log.debug('checkpoint gossip not sent', { jobId, index, error: err });
    });
  }

  async function trainAndCommit(ws: JobWorkspace, signal: AbortSignal): Promise<void> {
    const { jobId } = ws;
    // Checkpoints stored before a restart but not committed yet, in order.
    const latest = await ws.checkpoints.latest();
    for (let i = 0; latest !== undefined && i <= latest.index; i++) {
      const root = await ws.checkpoints.root(i);
      const file = await ws.checkpoints.file(i);
      if (root === undefined || file === undefined) throw new VeritrainError('CONTENT_UNAVAILABLE', `checkpoint ${i} of job ${jobId} is missing on disk`);
      await commit(ws, i, root, file, signal);
    }
    if (latest !== undefined) log.info('resuming training', { jobId, fromCheckpoint: latest.index, step: latest.index * ws.k });
    let lastStep = (latest?.index ?? 0) * ws.k;
    await trainJob(ws, {
      backend: options.backend,
      hasher: components.hasher,
      log: log.child({ jobId }),
      selfCheckEvery: options.selfCheckEvery,
      signal,
      onProgress: (p) => {
        metrics.steps.inc(Math.max(0, p.step - lastStep));
        lastStep = p.step;
        metrics.stepsPerSecond.set(p.stepsPerSecond);
        progress.update(`job ${jobId} training`, { step: p.step, steps: p.steps, stepsPerSecond: p.stepsPerSecond });
      },
      onCheckpoint: async ({ index, root, file }) => {
        db.updateJob(jobId, { step: index * ws.k });
        await commit(ws, index, root, file, signal);
      },
    });
    metrics.stepsPerSecond.set(0);
    progress.done(`job ${jobId} trained`, { steps: ws.spec.training.steps });
  }

  async function settle(jobId: bigint, signal: AbortSignal): Promise<'paid' | 'lost'> {
    for (;;) {
      const job = await readJob(client, jobId, { signal });
      if (job.status === 'Slashed' || job.status === 'Expired') return 'lost';
      if (job.status === 'Finalized') break;
      if (job.status === 'Submitted' && job.openDisputes === 0 && (await chainTime()) > job.challengeDeadline) {
        await journal.once(
          {
            action: 'finalize',
            jobId,
            done: async (s) => (await readJob(client, jobId, { signal: s })).status === 'Finalized',
            send: (sender, onBroadcast, s) =>
              sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'finalize', args: [jobId], signal: s, onBroadcast }),
          },
          signal,
        );
        continue;
      }
      await clock.sleep(options.pollingIntervalMs, signal);
    }
    const job = await readJob(client, jobId, { signal });
    if (db.addEarning({ key: `payment:${jobId}`, kind: 'payment', token: job.token, amount: job.payment.toString(), tx: null })) {
      metrics.earned.inc(toTokens(job.payment), { kind: 'payment' });
      log.info('job finalized: payment credited', { jobId, payment: job.payment, token: job.token });
    }
    db.updateJob(jobId, { state: 'finalized' });
    await withdrawCredit(job.token, jobId, signal);
    return 'paid';
  }

  async function withdrawCredit(token: Address, jobId: bigint, signal: AbortSignal): Promise<void> {
    const credit = () => client.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'creditOf', args: [me, token] });
    const before = await credit();
    if (before === 0n) return;
    const balance = () => client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [me] });
    const b0 = await balance();
    await journal.once(
      {
        action: 'withdraw',
        jobId,
        done: async () => (await credit()) === 0n,
        send: (sender, onBroadcast, s) =>
          sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'withdraw', args: [token], signal: s, onBroadcast }),
      },
      signal,
    );
    log.info('credit withdrawn', { jobId, token, amount: (await balance()) - b0 });
  }

  async function runJob(jobId: bigint, signal: AbortSignal): Promise<void> {
    let row = db.job(jobId);
    if (row === undefined) return;
    const job = await readJob(client, jobId, { signal });
    if (job.solver.toLowerCase() !== me.toLowerCase()) {
      db.updateJob(jobId, { state: 'lost', reason: `claimed by ${job.solver}` });
      log.warn('job lost', { jobId, reason: `claimed by ${job.solver}` });
      return;
    }
    if (job.status === 'Slashed' || job.status === 'Expired') {
      db.updateJob(jobId, { state: 'lost', reason: `job is ${job.status}` });
      log.error('job lost', { jobId, status: job.status });
      refreshJobGauge();
      return;
    }
    if ((row.state === 'claimed' || row.state === 'training') && job.status === 'Claimed') {
      if (row.spec === null) throw new VeritrainError('SPEC_INVALID', `job ${jobId} has no stored spec`);
      const spec = decodeJobSpec(row.spec);
      if ((await readSavedDataset(options.dataDir, jobId, spec)) === undefined) {
        const records = await fetchDataset(
          store,
          spec.data.cid,
          { datasetRoot: spec.data.root, recordBytes: recordBytes(spec) },
          { signal: AbortSignal.any([signal, AbortSignal.timeout(options.fetchTimeoutMs)]) },
        );
        await saveDataset(options.dataDir, jobId, records);
      }
      const ws = await workspaces.get(jobId);
      if (ws === undefined) throw new VeritrainError('CONTENT_UNAVAILABLE', `job ${jobId} has no workspace`);
      await acquireSlot(signal);
      try {
        db.updateJob(jobId, { state: 'training' });
        refreshJobGauge();
        await trainAndCommit(ws, signal);
      } finally {
        releaseSlot();
      }
      db.updateJob(jobId, { state: 'submitted' });
      refreshJobGauge();
    } else if (row.state === 'claimed' || row.state === 'training') {
      db.updateJob(jobId, { state: 'submitted' });
    }
    row = db.job(jobId);
    if (row?.state === 'submitted' || row?.state === 'finalized') {
      const outcome = await settle(jobId, signal);
      db.updateJob(jobId, { state: outcome === 'paid' ? 'paid' : 'lost', ...(outcome === 'lost' ? { reason: 'slashed' } : {}) });
      (outcome === 'paid' ? log.info.bind(log) : log.error.bind(log))(outcome === 'paid' ? 'job paid' : 'job lost', { jobId });
      refreshJobGauge();
    }
  }

  function startTask(jobId: bigint, signal: AbortSignal): void {
    const key = jobId.toString();
    if (tasks.has(key)) return;
    const task = runJob(jobId, signal)
      .catch((err: unknown) => {
        if (signal.aborted) return;
        progress.done();
        log.error('job task failed; will retry', { jobId, error: err });
      })
      .finally(() => {
        tasks.delete(key);
      });
    tasks.set(key, task);
  }

  async function tick(signal: AbortSignal): Promise<void> {
    await discover(signal);
    const stopped = (): boolean => signal.aborted;
    for (const row of db.jobs(['seen'])) {
      if (stopped()) return;
      try {
        await evaluate(row, signal);
      } catch (err) {
        if (stopped()) return;
        log.warn('job evaluation failed', { jobId: row.job_id, attempt: row.attempts + 1, error: err });
        if (row.attempts + 1 >= MAX_EVALUATIONS)
          db.updateJob(BigInt(row.job_id), { state: 'failed', reason: err instanceof Error ? err.message : String(err) });
      }
    }
    for (const row of db.jobs(['claimed', 'training', 'submitted', 'finalized'])) startTask(BigInt(row.job_id), signal);
    refreshJobGauge();
  }

  return {
    async start() {
      controller = new AbortController();
      const signal = controller.signal;
      unsubscribe = p2p.onJob((m) => {
        const jobId = BigInt(m.body.jobId);
        if (db.addJob(jobId)) log.info('job discovered', { jobId, source: 'gossip', from: m.from });
      });
      loop = pollLoop(tick, { name: 'job loop', intervalMs: options.pollingIntervalMs, signal, clock, log });
      await Promise.resolve();
    },
    async stop() {
      unsubscribe?.();
      controller?.abort();
      for (const w of slotWaiters.splice(0)) w();
      await loop;
      await Promise.allSettled([...tasks.values()]);
    },
    idle: () => tasks.size === 0,
  };
}
