/**
 * The verification service: follows the market's jobs and their checkpoint commits, draws each
 * job's private sample, screens every sampled interval once its end checkpoint is committed, judges
 * flagged intervals exactly from the solver's served data, and hands provable (or withheld) ones to
 * the dispute manager. Everything it decides is persisted before it acts, so a restarted verifier
 * carries on where it stopped; re-screening an interval is deterministic.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Address } from 'viem';
import {
  buildGraph,
  initialState,
  stateRoot,
  cidFromBytes,
  fetchDataset,
  fetchJobSpec,
  getJobEvents,
  scanLogs,
  jobMarketAbi,
  marketAddress,
  readJob,
  recordBytes,
  VeritrainError,
  type ChainClient,
  type ContentStore,
  type Graph,
  type JobSpec,
  type Logger,
  type Tensor,
  type Trajectory,
} from '../../sdk/index.ts';
import { firstFault, servedChain, ServedDataError } from '../core/exact.ts';
import { afterFetch, afterScreen, type FetchOutcome } from '../core/policy.ts';
import { formatReport, jobReport, type JobReport } from '../core/report.ts';
import { newSeed, planSample, sampleIntervals, type RandomBytes } from '../core/sampling.ts';
import { screenInterval } from '../core/screen.ts';
import type { VerifierConfig } from '../config.ts';
import type { SolverData } from './data.ts';
import type { VerifierDb } from './db.ts';
import type { DisputeManager } from './disputes.ts';

export interface VerificationOptions {
  readonly chain: ChainClient;
  readonly content: ContentStore;
  readonly db: VerifierDb;
  readonly data: SolverData;
  readonly disputes: DisputeManager;
  readonly tf: typeof tfjs;
  readonly random: RandomBytes;
  readonly logger: Logger;
  readonly config: Pick<VerifierConfig, 'sampling' | 'screen' | 'disputes' | 'jobs'>;
  readonly onReport?: ((r: JobReport) => void) | undefined;
}

interface LoadedJob {
  readonly spec: JobSpec;
  readonly graph: Graph;
  readonly records: Uint8Array;
}

const SETTLED = new Set(['Finalized', 'Slashed', 'Cancelled', 'Expired']);

export interface Verification {
  /** One pass: discover jobs, record checkpoints, check what is ready, settle what is done. */
  tick(signal: AbortSignal): Promise<void>;
  /** The spec and graph of a followed job (fetched and cached). */
  job(jobId: bigint, signal: AbortSignal): Promise<LoadedJob>;
  /** The served chain of a challenged interval, from what was kept on disk. */
  chainOf(jobId: bigint, interval: number, signal: AbortSignal): Promise<{ chain: Trajectory; graph: Graph } | undefined>;
  /**
   * What the verifier holds of an interval when nothing was served: the checkpoints at its ends
   * (fetched and checked against their roots), and for interval 0 the spec's initial state.
   */
  checkpointsOf(jobId: bigint, interval: number, signal: AbortSignal): Promise<{ chain: Trajectory; initial: Tensor[] | undefined } | undefined>;
  /** The screen applied to a state published in a dispute: re-executed from `from`, within the screen threshold of `to`. */
  consistent(jobId: bigint, from: { step: number; state: Tensor[] }, to: { step: number; state: Tensor[] }, signal: AbortSignal): Promise<boolean>;
  report(jobId: bigint): JobReport | undefined;
}

export function createVerification(o: VerificationOptions): Verification {
  const log = o.logger.child({ component: 'verification' });
  const loaded = new Map<string, Promise<LoadedJob>>();
  const market = marketAddress(o.chain);

  const job = (jobId: bigint, signal: AbortSignal): Promise<LoadedJob> => {
    const key = jobId.toString();
    let p = loaded.get(key);
    if (p === undefined) {
      p = (async () => {
        const row = o.db.job(jobId);
        if (row?.spec_hash === undefined || row.spec_hash === null) throw new VeritrainError('JOB_NOT_FOUND', `job ${jobId} is not followed`);
        const spec = await fetchJobSpec(o.content, row.spec_hash as `0x${string}`, { signal });
        const graph = buildGraph(spec);
        if (graph.root !== spec.graphRoot)
          throw new VeritrainError('SPEC_INVALID', `job ${jobId}'s spec has graphRoot ${spec.graphRoot}, its graph ${graph.root}`);
        const records = await fetchDataset(o.content, spec.data.cid, { datasetRoot: spec.data.root, recordBytes: recordBytes(spec) }, { signal });
        return { spec, graph, records };
      })();
      p.catch(() => {
        loaded.delete(key);
      });
      loaded.set(key, p);
    }
    return p;
  };

  const report = (jobId: bigint): JobReport | undefined => {
    const row = o.db.job(jobId);
    if (row === undefined || row.steps === null || row.k === null || row.intervals === null) return undefined;
    return jobReport({
      jobId: jobId.toString(),
      jobStatus: row.status,
      steps: row.steps,
      checkpointInterval: row.k,
      intervals: row.intervals,
      sampled: JSON.parse(row.sample ?? '[]') as number[],
      rows: o.db.intervalRows(jobId),
      disputes: o.db.disputeRows(jobId),
      fakeFraction: o.config.sampling.fakeFraction,
    });
  };

  /** New jobs since the cursor; the status of followed ones; their new checkpoint commits. */
  const sync = async (signal: AbortSignal): Promise<void> => {
    const last = await o.chain.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'lastJobId' });
    for (let id = o.db.jobCursor() + 1n; id <= last; id++) {
      if (o.config.jobs.only.length === 0 || o.config.jobs.only.includes(id.toString())) o.db.upsertJob(id, {});
      o.db.setJobCursor(id);
    }
    for (const row of o.db.activeJobs()) {
      const jobId = BigInt(row.job_id);
      const chainJob = await readJob(o.chain, jobId, { signal });
      o.db.upsertJob(jobId, {
        status: chainJob.status,
        solver: chainJob.solver.toLowerCase(),
        token: chainJob.token.toLowerCase(),
        spec_hash: chainJob.specHash,
      });
      if (chainJob.status === 'Open') continue;
      if (row.seed === null && (chainJob.status === 'Claimed' || chainJob.status === 'Submitted')) {
        const { spec } = await job(jobId, signal);
        const n = chainJob.checkpointCount;
        const plan = planSample({
          intervals: n,
          budget: o.config.sampling.budget,
          targetDetection: o.config.sampling.targetDetection ?? undefined,
          fakeFraction: o.config.sampling.fakeFraction,
          costRatio: o.config.sampling.costRatio,
        });
        const seed = newSeed(o.random);
        const sample = sampleIntervals(seed, n, plan.q);
        o.db.store.transaction(() => {
          o.db.upsertJob(jobId, { seed, sample: JSON.stringify(sample), steps: spec.training.steps, k: spec.training.checkpointInterval, intervals: n });
          o.db.addIntervals(jobId, sample);
        });
        // The sample itself is private: only its size is logged.
        log.info('following job', {
          jobId,
          intervals: n,
          sampled: plan.q,
          limitedBy: plan.limitedBy,
          plannedCompute: plan.computeFraction,
          detection: plan.detection,
          fakeFraction: o.config.sampling.fakeFraction,
          targetReached: plan.targetReached,
        });
      }
      // The job's own cursor ('0': never scanned, so from the deployment's block).
      let cursor = row.block_cursor === '0' ? undefined : BigInt(row.block_cursor);
      await scanLogs({
        publicClient: o.chain.publicClient,
        start: BigInt(o.chain.deployment.deployedAt),
        maxRange: 100_000n,
        signal,
        cursor: {
          get: () => cursor,
          set: (next) => {
            cursor = next;
            o.db.upsertJob(jobId, { block_cursor: next.toString() });
          },
        },
        read: (fromBlock, toBlock) => getJobEvents(o.chain, { jobId, fromBlock, toBlock, signal }),
        handle: async (events) => {
          for (const e of events) {
            if (e.name !== 'CheckpointCommitted') continue;
            o.db.addCheckpoint(jobId, e.args.index, e.args.stateRoot, cidFromBytes(e.args.cid) ?? ''); // '' fetches nothing: withheld
            // Checkpoint 0 is a function of the spec (§3.2): checked on every job, one root away.
            if (e.args.index === 0 && e.args.stateRoot !== stateRoot(initialState((await job(jobId, signal)).spec))) {
              log.warn("checkpoint 0 is not the spec's initial state", { jobId, committed: e.args.stateRoot });
              o.db.addIntervals(jobId, [0]);
              o.db.updateInterval(jobId, 0, { state: 'fault', fault_step: 0, fault: JSON.stringify({ kind: 'initial' }) });
            }
          }
        },
      });
    }
  };

  const exactCheck = async (jobId: bigint, interval: number, solver: Address, j: LoadedJob, k: number, signal: AbortSignal): Promise<FetchOutcome> => {
    const start = o.db.checkpoint(jobId, interval);
    const end = o.db.checkpoint(jobId, interval + 1);
    if (start === undefined || end === undefined) throw new Error('checkpoints vanished');
    try {
      const served = await o.data.interval({ jobId, solver, interval, from: interval * k, to: (interval + 1) * k, graph: j.graph, signal });
      const chain = servedChain({
        graph: j.graph,
        spec: j.spec,
        records: j.records,
        start: interval * k,
        end: (interval + 1) * k,
        ...served,
        startRoot: start.root,
        endRoot: end.root,
      });
      let judged = 0;
      const found = await firstFault(j.graph, chain, {
        signal,
        onStep: () => {
          judged++;
        },
      });
      o.db.updateInterval(jobId, interval, { steps_exact: judged });
      if (found === undefined) return { kind: 'clean' };
      o.db.updateInterval(jobId, interval, { fault_step: found.step, fault: JSON.stringify(found.fault) });
      log.warn("invalid transition found in the solver's own data", { jobId, interval, step: found.step, fault: found.fault });
      return { kind: 'fault', step: found.step };
    } catch (err) {
      signal.throwIfAborted();
      if (!(err instanceof ServedDataError)) throw err;
      log.warn('the solver did not serve usable data for a flagged interval', { jobId, interval, reason: err.message });
      o.db.updateInterval(jobId, interval, { note: err.message.slice(0, 500) });
      return { kind: 'withheld', reason: err.message };
    }
  };

  /** Screens one sampled interval and takes it as far as the policy says. */
  const check = async (jobId: bigint, interval: number, signal: AbortSignal): Promise<void> => {
    const row = o.db.job(jobId);
    if (row?.solver === null || row?.solver === undefined || row.k === null) return;
    const solver = row.solver as Address;
    const k = row.k;
    const j = await job(jobId, signal);
    const start = o.db.checkpoint(jobId, interval);
    const end = o.db.checkpoint(jobId, interval + 1);
    if (start === undefined || end === undefined) return;
    const [a, b] = await Promise.all([
      o.data.checkpoint({ jobId, solver, index: interval, k, root: start.root, cid: start.cid, graph: j.graph, signal }),
      o.data.checkpoint({ jobId, solver, index: interval + 1, k, root: end.root, cid: end.cid, graph: j.graph, signal }),
    ]);
    let verdict: 'pass' | 'flag' | 'unavailable' = 'unavailable';
    if (a !== undefined && b !== undefined) {
      const r = await screenInterval({
        tf: o.tf,
        graph: j.graph,
        spec: j.spec,
        records: j.records,
        start: a,
        fromStep: interval * k,
        steps: k,
        end: b,
        threshold: o.config.screen.threshold,
        signal,
      });
      verdict = r.verdict;
      o.db.updateInterval(jobId, interval, { distance: Number.isFinite(r.distance) ? r.distance : 1e308, steps_reexecuted: r.steps, ms: r.ms });
      log.info('interval screened', { jobId, interval, distance: r.distance, verdict, ms: Math.round(r.ms) });
    }
    const next = afterScreen(verdict, o.config.screen.mode);
    o.db.updateInterval(jobId, interval, { state: next });
    if (next === 'passed') return;
    await judge(jobId, interval, solver, j, k, signal);
  };

  const judge = async (jobId: bigint, interval: number, solver: Address, j: LoadedJob, k: number, signal: AbortSignal): Promise<void> => {
    const outcome = await exactCheck(jobId, interval, solver, j, k, signal);
    const state = afterFetch(outcome, { challengeWithheld: o.config.disputes.challengeWithheld });
    o.db.updateInterval(jobId, interval, { state });
    if (state === 'cleared') log.info('flagged interval cleared by the exact check: every element within its bound', { jobId, interval });
    if (state === 'fault' || state === 'withheld') await challengeIfFree(jobId, interval, j, outcome.kind === 'fault' ? outcome.step : null, signal);
  };

  /** One open dispute per job: a slash settles the job, the rest would only be abandoned. */
  const challengeIfFree = async (jobId: bigint, interval: number, j: LoadedJob, faultyStep: number | null, signal: AbortSignal): Promise<void> => {
    const busy = o.db
      .disputes(jobId)
      .some((d) => d.idx !== interval && (d.state === 'open' || d.state === 'challenging' || (d.state === 'resolved' && d.outcome === 'won')));
    if (busy) return;
    await o.disputes.challenge({ jobId, interval, spec: j.spec, graph: j.graph, faultyStep, signal });
  };

  const tick = async (signal: AbortSignal): Promise<void> => {
    await sync(signal);
    for (const row of o.db.activeJobs()) {
      const jobId = BigInt(row.job_id);
      const current = o.db.job(jobId);
      if (current === undefined) continue;
      if (current.status === 'Claimed' || current.status === 'Submitted') {
        for (const iv of o.db.intervals(jobId)) {
          signal.throwIfAborted();
          if (iv.state === 'sampled' && o.db.checkpoint(jobId, iv.idx + 1) !== undefined) await check(jobId, iv.idx, signal);
          else if (iv.state === 'flagged' && current.solver !== null && current.k !== null)
            await judge(jobId, iv.idx, current.solver as Address, await job(jobId, signal), current.k, signal);
          else if ((iv.state === 'fault' || iv.state === 'withheld') && o.db.dispute(jobId, iv.idx)?.dispute_id == null)
            await challengeIfFree(jobId, iv.idx, await job(jobId, signal), iv.fault_step, signal);
        }
      }
      const open = o.db.disputes(jobId).some((d) => d.state === 'open' || d.state === 'challenging');
      if (SETTLED.has(current.status) && !open) {
        if (current.token !== null) await o.disputes.collectRewards([current.token as Address], signal);
        for (const iv of o.db.intervals(jobId)) if (iv.state === 'sampled' || iv.state === 'flagged') o.db.updateInterval(jobId, iv.idx, { state: 'missed' });
        o.db.upsertJob(jobId, { done: 1 });
        const r = report(jobId);
        if (r !== undefined) {
          log.info('job report', { ...r, disputes: r.disputes.map((d) => `${d.disputeId}:${d.interval}:${d.outcome}`) });
          log.debug(formatReport(r));
          o.onReport?.(r);
        }
      }
    }
  };

  return {
    tick,
    job,
    report,
    async chainOf(jobId, interval, signal) {
      const row = o.db.job(jobId);
      if (row?.k === null || row?.k === undefined) return undefined;
      const k = row.k;
      const j = await job(jobId, signal);
      const served = await o.data.stored({ jobId, interval, from: interval * k, to: (interval + 1) * k, graph: j.graph });
      const start = o.db.checkpoint(jobId, interval);
      const end = o.db.checkpoint(jobId, interval + 1);
      if (served === undefined || start === undefined || end === undefined) return undefined;
      return {
        graph: j.graph,
        chain: servedChain({
          graph: j.graph,
          spec: j.spec,
          records: j.records,
          start: interval * k,
          end: (interval + 1) * k,
          ...served,
          startRoot: start.root,
          endRoot: end.root,
        }),
      };
    },
    async checkpointsOf(jobId, interval, signal) {
      const row = o.db.job(jobId);
      if (row?.k === null || row?.k === undefined || row.solver === null) return undefined;
      const k = row.k;
      const j = await job(jobId, signal);
      const states = new Map<number, Tensor[]>();
      for (const index of [interval, interval + 1]) {
        const c = o.db.checkpoint(jobId, index);
        const state =
          c === undefined
            ? undefined
            : await o.data.checkpoint({ jobId, solver: row.solver as Address, index, k, root: c.root, cid: c.cid, graph: j.graph, signal });
        if (state !== undefined) states.set(index * k, state);
      }
      const missing = () => Promise.reject(new ServedDataError('the solver served no data for this interval'));
      return {
        chain: {
          start: interval * k,
          end: (interval + 1) * k,
          stateAt: (step) => (states.get(step) === undefined ? missing() : Promise.resolve(states.get(step) as Tensor[])),
          stepAt: missing,
        },
        initial: interval === 0 ? initialState(j.spec) : undefined,
      };
    },
    async consistent(jobId, from, to, signal) {
      const j = await job(jobId, signal);
      const r = await screenInterval({
        tf: o.tf,
        graph: j.graph,
        spec: j.spec,
        records: j.records,
        start: from.state,
        fromStep: from.step,
        steps: to.step - from.step,
        end: to.state,
        threshold: o.config.screen.threshold,
        signal,
      });
      log.info('published state screened', { jobId, fromStep: from.step, toStep: to.step, distance: r.distance, verdict: r.verdict });
      return r.verdict === 'pass';
    },
  };
}
