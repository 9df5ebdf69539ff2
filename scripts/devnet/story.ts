/**
 * The demo's story (`npm start`): one submitter posts two real MNIST jobs; solver A (honest)
 * trains the first, solver B (cheating in the configured way) the second; a verifier re-executes
 * every interval of both, catches B's fake, wins the dispute game down to one element of one op
 * of one step, B is slashed, the verifier rewarded, A paid after the challenge window, and the
 * submitter downloads A's model and measures its held-out accuracy. Every chain event and the
 * roles' key log lines are told as they happen; the summary has the payouts, the gas of every
 * transaction of the run and the verifier's cost.
 *
 * Which solver trains which job is decided by the solvers' own claim policies (docs/SOLVER.md):
 * A claims only jobs paying at least half of job 1's price per step; B only models of at most
 * 20,000 parameters. Job 1 (784-32-10, 25,450 parameters) is A's; job 2 (784-24-10, 19,090
 * parameters, a quarter of the price) is B's. With `model: 'cnn'` both are version-2 jobs trained
 * with AdamW (warmup then cosine): job 1 a LeNet-style CNN (37,106 parameters), job 2 a one-conv
 * CNN (7,954), and B's default fraud pads its conv input one row off, so it is caught at an op of a
 * conv layer.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { formatUnits, parseEther, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { buildGraph, OP_KIND_NAMES, type Graph } from '../../sdk/graph/graph.ts';
import { CONV_FRAUD_KINDS, FRAUD_KINDS, type FraudKind } from '../../sdk/dispute/frauds.ts';
import { ConfigError, VeritrainError } from '../../sdk/errors.ts';
import { fetchJobSpec } from '../../sdk/storage/objects.ts';
import { startDevnet, type Devnet } from './devnet.ts';
import { DEV_ROLES, devKey } from './keys.ts';
import { describeChainEvent, gasByAccount, text, watchChainEvents, type ChainEvent } from './events.ts';
import type { ChildLine, RoleProcess } from './process.ts';
import type { DevnetJobPlan } from './plan.ts';

export { CONV_FRAUD_KINDS, FRAUD_KINDS, type FraudKind };

/** The demo's two models: MLPs (version-1 specs) or CNNs (version 2, AdamW with warmup + cosine). */
export const STORY_MODELS = ['mlp', 'cnn'] as const;
export type StoryModel = (typeof STORY_MODELS)[number];

/** Defaults per model: training steps, checkpoint interval, fraud, timeout (s). */
export const STORY_DEFAULTS: Readonly<Record<StoryModel, { steps: number; interval: number; fraud: FraudKind; timeout: number }>> = {
  mlp: { steps: 512, interval: 32, fraud: 'wrong-lr', timeout: 270 },
  cnn: { steps: 800, interval: 50, fraud: 'conv-padding', timeout: 900 },
};

const adamw = (learningRate: number, warmupSteps: number) => ({
  kind: 'adamw',
  learningRate,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
  schedule: { kind: 'warmup-cosine', warmupSteps, finalLearningRate: learningRate / 30 },
});

/**
 * Job 2 of the CNN story trains at batch 8 with a checkpoint every 10 steps: the verifier fetches
 * the op traces of a flagged interval from the solver, and a conv step's trace is ~0.3 MB per
 * record of the batch (the im2col patches and their gradients), so the interval's traces stay
 * ~25 MB (see docs/VERIFIER.md).
 */
const CNN_CHEATER = { batchSize: 8, interval: 10 } as const;

/** Job 1's and job 2's models. */
function storyModels(model: StoryModel, steps: number): [DevnetJobPlan['model'], DevnetJobPlan['model']] {
  if (model === 'mlp') return [{ layers: [784, 32, 10] }, { layers: [784, 24, 10] }];
  const warmup = Math.min(50, Math.floor(steps / 10));
  const lenet = {
    input: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 6, kernel: 5, padding: 'same' },
      { type: 'relu' },
      { type: 'maxpool2d', size: 2 },
      { type: 'conv2d', filters: 16, kernel: 5 },
      { type: 'relu' },
      { type: 'maxpool2d', size: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 84 },
      { type: 'relu' },
      { type: 'dense', units: 10 },
    ],
  };
  const small = {
    input: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 4, kernel: 5, padding: 'same' },
      { type: 'relu' },
      { type: 'maxpool2d', size: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 10 },
    ],
  };
  return [{ v2: { model: lenet, optimizer: adamw(0.005, warmup) } }, { v2: { model: small, optimizer: adamw(0.005, warmup) } }];
}

export interface StoryOptions {
  /** The demo's models (default mlp). */
  readonly model?: StoryModel | undefined;
  /** Where this run's chain deployment, configs, databases and IPFS blocks go. */
  readonly runDir: string;
  readonly rpcUrl?: string | undefined;
  readonly deploymentFile?: string | undefined;
  readonly kuboUrl?: string | undefined;
  readonly bootstrap?: readonly string[] | undefined;
  /** Keys of the roles; default: the development accounts (deployer #0, submitter #1, A #2, verifier #3, B #4). */
  readonly keys?: { readonly [R in 'deployer' | 'submitter' | 'honest' | 'cheater' | 'verifier']?: Hex | undefined } | undefined;
  readonly fraud?: FraudKind | undefined;
  /** The checkpoint interval solver B fakes. */
  readonly fraudInterval?: number | undefined;
  readonly steps?: number | undefined;
  readonly checkpointInterval?: number | undefined;
  /** Seconds; at least the deployment's minimum. */
  readonly challengeWindow?: number | undefined;
  /** Give up after this long (ms). */
  readonly timeoutMs?: number | undefined;
  /** Start the explorer (default true); its URL is told as a story line and passed to `onExplorer`. */
  readonly explorer?: boolean | undefined;
  readonly onExplorer?: ((url: string) => void) | undefined;
  /** Awaited after the summary, before every process is stopped (a test looks at the finished run; `npm start -- --stay`). */
  readonly beforeStop?: ((summary: StorySummary) => Promise<void>) | undefined;
  /** Receives every line of the story (without a trailing newline). */
  readonly print: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

export interface StorySummary {
  readonly story: 'done';
  /** Tokens solver A withdrew (its payment). */
  readonly honest_paid: number;
  /** Stake solver B lost. */
  readonly cheater_slashed: number;
  /** Tokens the verifier withdrew from the market (its share of the slashed stake). */
  readonly verifier_rewarded: number;
  /** Held-out accuracy of the honest job's downloaded model. */
  readonly accuracy: number;
  readonly wall_s: number;
  readonly fraud: FraudKind;
  readonly model: StoryModel;
  readonly gas_total: number;
  readonly transactions: number;
  /** Steps the verifier re-executed per step trained, over both jobs. */
  readonly verify_cost_ratio: number;
}

const ROLE_WIDTH = 10;
const tokensOf = (v: bigint): number => Number(formatUnits(v, 18));

export async function runStory(o: StoryOptions): Promise<StorySummary> {
  const t0 = performance.now();
  const modelKind: StoryModel = o.model ?? 'mlp';
  const defaults = STORY_DEFAULTS[modelKind];
  const fraud: FraudKind = o.fraud ?? defaults.fraud;
  const steps = o.steps ?? defaults.steps;
  const k = o.checkpointInterval ?? defaults.interval;
  const timeoutMs = o.timeoutMs ?? defaults.timeout * 1000;
  const window = o.challengeWindow ?? 45;
  const fraudInterval = o.fraudInterval ?? 1;
  if (steps % k !== 0 || steps / k < 2) throw new ConfigError(`--steps must be a multiple of the checkpoint interval ${k}, at least ${2 * k}`);
  if (modelKind === 'mlp' && (CONV_FRAUD_KINDS as readonly string[]).includes(fraud)) throw new ConfigError(`the ${fraud} fraud needs --model cnn`);
  const cheaterK = modelKind === 'cnn' ? CNN_CHEATER.interval : k;
  if (steps % cheaterK !== 0) throw new ConfigError(`--steps must be a multiple of job 2's checkpoint interval ${cheaterK}`);
  if (fraudInterval >= steps / cheaterK) throw new ConfigError(`the faked interval ${fraudInterval} is not in 0..${steps / cheaterK - 1}`);
  const keys = {
    deployer: o.keys?.deployer ?? devKey(DEV_ROLES.deployer),
    submitter: o.keys?.submitter ?? devKey(DEV_ROLES.submitter),
    honest: o.keys?.honest ?? devKey(DEV_ROLES.honest),
    verifier: o.keys?.verifier ?? devKey(DEV_ROLES.verifier),
    cheater: o.keys?.cheater ?? devKey(DEV_ROLES.cheater),
  };
  const addr = Object.fromEntries(Object.entries(keys).map(([r, key]) => [r, privateKeyToAccount(key).address])) as Record<keyof typeof keys, Address>;
  const labels = new Map<string, string>([
    [addr.deployer.toLowerCase(), 'deployer'],
    [addr.submitter.toLowerCase(), 'submitter'],
    [addr.honest.toLowerCase(), 'solver-A (honest)'],
    [addr.cheater.toLowerCase(), 'solver-B (cheater)'],
    [addr.verifier.toLowerCase(), 'verifier'],
  ]);
  const stamp = (): string => `${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
  const say = (role: string, text: string): void => {
    o.print(`[${stamp()}] ${role.padEnd(ROLE_WIDTH)} | ${text}`);
  };

  // ---- what the story has seen ---------------------------------------------------------------
  const jobs = new Map<string, { name: string; plan: DevnetJobPlan }>();
  const jobIdOf = (name: string): string | undefined => [...jobs].find(([, j]) => j.name === name)?.[0];
  const graphs = new Map<string, Graph>();
  const disputeJob = new Map<string, string>();
  const intervals = new Map<string, number>();
  const finalized = new Set<string>();
  const slashed = new Map<string, bigint>();
  const marketWithdrawn = new Map<string, bigint>();
  const reports = new Map<string, ChildLine>();
  const childFailures: string[] = [];
  let accuracy: number | undefined;
  let honestModelLine: string | undefined;
  let submitterDone = false;
  let wake: () => void = () => undefined;

  const onChainEvent = (e: ChainEvent, devnet: Devnet): void => {
    const a = e.args;
    if (e.name === 'JobPosted' && e.source === 'market') {
      const jobId = String(a.jobId);
      intervals.set(jobId, Number(a.checkpointCount));
      // The hub fetches the spec from IPFS (checked against specHash) to name ops in the story.
      fetchJobSpec(devnet.store, a.specHash as Hex, { signal: AbortSignal.timeout(60_000) })
        .then((spec) => {
          graphs.set(jobId, buildGraph(spec));
        })
        .catch(() => undefined);
    }
    if (e.name === 'DisputeCreated') disputeJob.set(String(a.disputeId), String(a.jobId));
    if (e.name === 'JobFinalized') finalized.add(String(a.jobId));
    if (e.name === 'JobSlashed') slashed.set(String(a.jobId), a.stake as bigint);
    if (e.name === 'Withdrawn' && e.source === 'market') {
      const who = String(a.account).toLowerCase();
      marketWithdrawn.set(who, (marketWithdrawn.get(who) ?? 0n) + (a.amount as bigint));
    }
    const line = describeChainEvent(e, {
      nameOf: (x) => labels.get(x.toLowerCase()),
      symbol: 'VTT',
      intervalsOf: (jobId) => intervals.get(jobId.toString()),
      opName: (disputeId, op) => {
        const g = graphs.get(disputeJob.get(disputeId.toString()) ?? '');
        const desc = g?.ops[op];
        return desc === undefined ? undefined : `op ${op} (${desc.name}, ${OP_KIND_NAMES[desc.kind]}) of the step's graph`;
      },
    });
    if (line !== undefined) say('chain', line);
    wake();
  };

  const onChildLine = (l: ChildLine, role: string): void => {
    const told = describeChildLine(l, role);
    if (l.event === 'posted' && l.name === 'honest') honestModelLine = text(l.model);
    if (l.event === 'posted') jobs.set(text(l.jobId), { name: text(l.name), plan: plans.find((p) => p.name === l.name) as DevnetJobPlan });
    if (l.event === 'model' && l.name === 'honest') accuracy = Number(l.accuracy);
    if (l.event === 'done') submitterDone = true;
    if (l.event === 'error') childFailures.push(`${role}: ${String(l.message)}`);
    if (l.msg === 'job report') {
      reports.set(text(l.jobId), l);
      // The verifier's report, published where the explorer reads it (a file here; a URL in production).
      if (role === 'verifier') appendFileSync(reportsFile, `${JSON.stringify({ ...l, disputes: undefined })}\n`);
    }
    if (told !== undefined) say(role, told);
    wake();
  };

  const payment = parseEther('8');
  const [honestModel, cheaterModel] = storyModels(modelKind, steps);
  const plans: DevnetJobPlan[] = [
    {
      name: 'honest',
      model: honestModel,
      steps,
      checkpointInterval: k,
      batchSize: 64,
      payment: payment.toString(),
      solverStake: parseEther('10').toString(),
      challengeWindow: window,
      trainingDuration: 900,
      download: true,
    },
    {
      name: 'cheater',
      model: cheaterModel,
      steps,
      checkpointInterval: modelKind === 'cnn' ? CNN_CHEATER.interval : k,
      batchSize: modelKind === 'cnn' ? CNN_CHEATER.batchSize : 64,
      payment: (payment / 4n).toString(),
      solverStake: parseEther('10').toString(),
      challengeWindow: window,
      trainingDuration: 900,
      download: true,
    },
  ];

  const reportsFile = path.join(o.runDir, 'verifier-reports.jsonl');
  say('devnet', `run directory ${o.runDir}`);
  const devnet = await startDevnet({
    runDir: o.runDir,
    rpcUrl: o.rpcUrl,
    deploymentFile: o.deploymentFile,
    deployerKey: keys.deployer,
    kuboUrl: o.kuboUrl,
    bootstrap: o.bootstrap,
    fund: [addr.submitter, addr.honest, addr.cheater, addr.verifier],
    log: (line) => {
      say('devnet', line);
    },
    onChildLine,
    onChildText: (line, role) => {
      if (!line.startsWith('warning')) say(role, line);
    },
    signal: o.signal,
  });
  const watcher = new AbortController();
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      watcher.abort();
      say('devnet', 'stopping every process, the IPFS node and the chain');
      await devnet.stop();
    })();
    return stopping;
  };
  // Ctrl-C while processes start: stop them now (a start that waits on one then fails at once).
  const onAbort = (): void => {
    void stopAll();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { chain } = devnet;
    say(
      'devnet',
      `chain ${chain.chainId} at ${chain.rpcUrl}${chain.anvil === undefined ? '' : ' (Anvil, a fresh block every second)'}; market ${chain.deployment.contracts.JobMarket.address}`,
    );
    say(
      'devnet',
      `parameters: challenge window >= ${chain.deployment.parameters.minChallengeWindow} s, chess clock ${chain.deployment.parameters.clockBudget} s per side, bond ${formatUnits(chain.deployment.parameters.challengeBond, 18)} VTT, unstake delay ${chain.deployment.parameters.unstakeDelay} s`,
    );
    say('devnet', `IPFS + libp2p bootstrap node ${devnet.hub.multiaddrs()[0] ?? ''}${o.kuboUrl === undefined ? '' : ` (content in Kubo at ${o.kuboUrl})`}`);
    const watching = watchChainEvents({
      publicClient: chain.publicClient,
      market: chain.deployment.contracts.JobMarket.address,
      game: chain.deployment.contracts.DisputeGame.address,
      fromBlock: chain.startBlock + 1n,
      onEvent: (e) => {
        onChainEvent(e, devnet);
      },
      signal: watcher.signal,
    });

    const [pSubmitter, pHonest, pCheater, pVerifier] = await Promise.all([
      devnet.plan('submitter', 'submitter'),
      devnet.plan('solver-A', 'solver'),
      devnet.plan('solver-B', 'solver'),
      devnet.plan('verifier', 'verifier'),
    ]);
    const exact = fraud === 'withhold';
    say('devnet', `starting 4 processes: submitter, solver-A (honest), solver-B (cheating: ${fraud} in interval ${fraudInterval}), verifier`);
    say(
      'devnet',
      `the verifier's budget is 1.0: on this small demo it re-executes every interval of every job, so it surely samples the faked one${exact ? "; withhold trains honestly and only refuses to serve, so the verifier judges exactly (screen.mode exact) and asks for every interval's data" : ''}`,
    );
    // The explorer starts with the roles (it needs only their addresses), so it shows the run from the first job on.
    if (o.explorer !== false) {
      devnet.startExplorer({ validation: 'mnist:1000', reports: [reportsFile], labels: Object.fromEntries(labels) }).then(
        ({ url }) => {
          say('explorer', `the explorer shows it all live at ${url}`);
          o.onExplorer?.(url);
        },
        (err: unknown) => {
          say('explorer', `ERROR the explorer did not start: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
    }
    const started: RoleProcess[] = await Promise.all([
      devnet.startVerifier(pVerifier, {
        key: keys.verifier,
        solverPeers: { [addr.honest.toLowerCase()]: pHonest.multiaddr, [addr.cheater.toLowerCase()]: pCheater.multiaddr },
        config: {
          sampling: { budget: 1, targetDetection: null, fakeFraction: 0.1, costRatio: 1 },
          screen: { mode: exact ? 'exact' : 'screen' },
          disputes: { challengeWithheld: true, fetchTimeoutMs: 20_000, fetchAttempts: 2 },
          jobs: { only: [] },
        },
      }),
      devnet.startSolver(pHonest, { key: keys.honest, stake: '20', policy: { minPricePerStep: (payment / BigInt(steps) / 2n).toString() } }),
      devnet.startSolver(pCheater, { key: keys.cheater, stake: '20', policy: { maxParameters: 20_000 }, fraud: { kind: fraud, interval: fraudInterval } }),
      devnet.startSubmitter(pSubmitter, { key: keys.submitter, jobs: plans }),
    ]);
    for (const p of started) {
      void p.exited.then((code) => {
        if (!watcher.signal.aborted) {
          childFailures.push(`${p.role} exited with code ${String(code)}:\n${p.tail()}`);
          wake();
        }
      });
    }

    // ---- until the story is told ---------------------------------------------------------
    const deadline = performance.now() + timeoutMs;
    const honestDone = (): boolean => {
      const id = jobIdOf('honest');
      return id !== undefined && finalized.has(id) && (marketWithdrawn.get(addr.honest.toLowerCase()) ?? 0n) > 0n && accuracy !== undefined;
    };
    const cheaterDone = (): boolean => {
      const id = jobIdOf('cheater');
      return id !== undefined && (slashed.has(id) || finalized.has(id)) && submitterDone;
    };
    const verifierDone = (): boolean => [...jobs.keys()].every((id) => reports.has(id)) && jobs.size === plans.length;
    let graceUntil: number | undefined;
    for (;;) {
      o.signal?.throwIfAborted();
      if (childFailures.length > 0) throw new StoryError(childFailures.join('\n'));
      if (performance.now() > deadline) throw new StoryError(`the story did not finish in ${Math.round(timeoutMs / 1000)} s`);
      if (honestDone() && cheaterDone()) {
        if (verifierDone()) break;
        graceUntil ??= performance.now() + 20_000;
        if (performance.now() > graceUntil) break;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
        o.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }

    // ---- the summary ---------------------------------------------------------------------
    const honestId = jobIdOf('honest') as string;
    const cheaterId = jobIdOf('cheater') as string;
    const gas = await gasByAccount(chain.publicClient, Object.values(addr), chain.startBlock);
    watcher.abort();
    await watching;
    let reexecuted = 0;
    let trained = 0;
    for (const [id, j] of jobs) {
      const r = reports.get(id);
      trained += j.plan.steps;
      if (r !== undefined) reexecuted += Number(r.stepsReexecuted ?? 0) + Number(r.stepsExact ?? 0);
    }
    const ratio = trained === 0 ? 0 : reexecuted / trained;
    const cheaterStake = slashed.get(cheaterId) ?? 0n;
    const summary: StorySummary = {
      story: 'done',
      honest_paid: tokensOf(marketWithdrawn.get(addr.honest.toLowerCase()) ?? 0n),
      cheater_slashed: tokensOf(cheaterStake),
      verifier_rewarded: tokensOf(marketWithdrawn.get(addr.verifier.toLowerCase()) ?? 0n),
      accuracy: accuracy ?? 0,
      wall_s: Math.round((performance.now() - t0) / 100) / 10,
      fraud,
      model: modelKind,
      gas_total: Number(gas.total),
      transactions: gas.transactions,
      verify_cost_ratio: Math.round(ratio * 1000) / 1000,
    };
    o.print('');
    o.print('======================================== summary ========================================');
    o.print(
      `model      job ${honestId} (${honestModelLine ?? 'the honest model'}, ${steps} steps, batch 64): held-out accuracy ${((accuracy ?? 0) * 100).toFixed(1)}% on 1000 MNIST digits no solver saw`,
    );
    o.print(`paid       solver-A (honest)   ${summary.honest_paid} VTT for job ${honestId}, after its ${window} s challenge window`);
    o.print(
      cheaterStake > 0n
        ? `slashed    solver-B (cheater)  ${summary.cheater_slashed} VTT stake on job ${cheaterId} (${fraud} in interval ${fraudInterval}); the submitter's payment refunded`
        : `NOT SLASHED solver-B (cheater): job ${cheaterId} ended ${finalized.has(cheaterId) ? 'Finalized' : 'unsettled'}`,
    );
    o.print(`rewarded   verifier            ${summary.verifier_rewarded} VTT (its share of the slashed stake), its bond returned`);
    o.print(`gas        ${gas.total.toLocaleString('en-US')} gas in ${gas.transactions} transactions of this run:`);
    for (const [account, row] of gas.byAccount)
      o.print(`             ${(labels.get(account) ?? account).padEnd(20)} ${row.gas.toLocaleString('en-US').padStart(12)} gas, ${row.transactions} tx`);
    o.print(
      `verifying  the verifier re-executed or judged ${reexecuted} steps for ${trained} steps trained: cost ratio ${summary.verify_cost_ratio.toFixed(3)}`,
    );
    for (const [id, r] of reports) {
      o.print(
        `             job ${id}: ${String(r.checked)} of ${String(r.intervals)} intervals checked (${String(r.flagged)} flagged), compute ${(Number(r.computeFraction) * 100).toFixed(0)}% of training (${(Number(r.computeFractionWithExact) * 100).toFixed(0)}% with exact checks), detection ${(Number(r.detection) * 100).toFixed(1)}% vs a solver faking ${(Number(r.fakeFraction) * 100).toFixed(0)}% of intervals`,
      );
    }
    o.print('             (a production verifier spends a budget of ~5%: q = ceil(ln(1-P)/ln(1-f)) intervals per job; see `npm run bench:verify`)');
    o.print(`wall time  ${summary.wall_s} s`);
    o.print('=========================================================================================');
    await o.beforeStop?.(summary);
    return summary;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await stopAll();
  }
}

/** The story could not be told: a process failed, or it ran out of time. */
export class StoryError extends VeritrainError {
  override name = 'StoryError';
  constructor(message: string) {
    super('PEER_FAILED', message);
  }
}

/** The roles' key log lines, in words (undefined: not part of the story). */
export function describeChildLine(l: ChildLine, _role: string): string | undefined {
  const f = (v: unknown): string =>
    typeof v === 'number' ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : text(Math.round(v * 1000) / 1000)) : text(v);
  if (l.event !== undefined) {
    switch (l.event) {
      case 'started':
        return `running: ${text(l.address)}, peer ${text(l.peerId ?? '').slice(0, 8)}…${text(l.peerId ?? '').slice(-6)}`;
      case 'dataset':
        return `uploads the dataset: ${text(l.records)} real MNIST digits (${(Number(l.bytes) / 1e6).toFixed(1)} MB), root ${text(l.root).slice(0, 10)}…, cid ${text(l.cid).slice(0, 16)}…; ${text(l.heldOut)} digits held out`;
      case 'posted':
        return `posts job ${text(l.jobId)} (${text(l.name)}): ${text(l.model)}, ${text(l.steps)} steps, checkpoint every ${text(l.checkpointInterval)}, pays ${formatUnits(BigInt(text(l.payment)), 18)} VTT`;
      case 'settled':
        return `job ${text(l.jobId)} settled: ${text(l.status)}`;
      case 'model':
        return `downloads job ${text(l.jobId)}'s model (checked against the on-chain root): held-out accuracy ${(Number(l.accuracy) * 100).toFixed(1)}% on ${text(l.heldOut)} digits`;
      case 'refund':
        return `withdraws its refund for job ${text(l.jobId)}: ${formatUnits(BigInt(text(l.amount)), 18)} VTT`;
      case 'done':
        return 'all jobs settled';
      case 'error':
        return `ERROR ${text(l.message)}`;
      default:
        return undefined;
    }
  }
  const err = (): string => {
    const e = l.error as { message?: string } | undefined;
    return e?.message === undefined ? '' : `: ${e.message}`;
  };
  switch (l.msg) {
    case 'job claimed':
      return `claims job ${text(l.jobId)} and trains it (${text(l.steps)} steps)`;
    case 'job not claimed':
      return `passes on job ${text(l.jobId)}: ${text(l.reason)}`;
    case 'final checkpoint submitted':
      return `job ${text(l.jobId)} trained; final checkpoint ${text(l.index)} submitted`;
    case 'dispute opened against us':
      return `defends dispute ${text(l.disputeId)} on job ${text(l.jobId)} (interval ${text(l.interval)})`;
    case 'job finalized: payment credited':
      return `job ${text(l.jobId)} finalized: payment credited`;
    case 'credit withdrawn':
      return `withdraws ${f(Number(formatUnits(BigInt(text(l.amount ?? 0)), 18)))} VTT`;
    case 'job lost':
      return `has lost job ${text(l.jobId)}${l.status === undefined && l.reason === undefined ? '' : ` (${text(l.status ?? l.reason)})`}`;
    case 'dispute bond withdrawn':
      return `dispute ${text(l.disputeId)}: bond withdrawn`;
    case 'verifier started':
      return `running: budget ${text(l.budget)} of the training compute per job, screen threshold ${f(l.threshold)}`;
    case 'following job':
      return `follows job ${text(l.jobId)}: samples ${text(l.sampled)} of ${text(l.intervals)} intervals with private randomness (detection ${(Number(l.detection) * 100).toFixed(1)}% vs f=${text(l.fakeFraction)})`;
    case 'interval screened':
      return `job ${text(l.jobId)} interval ${text(l.interval)} re-executed: distance ${f(l.distance)} -> ${l.verdict === 'pass' ? 'pass' : 'FLAGGED'}`;
    case "invalid transition found in the solver's own data": {
      const fault = l.fault as { kind?: string; op?: number; element?: number; tensor?: number } | undefined;
      return `job ${text(l.jobId)} interval ${text(l.interval)}: judged element by element from the solver's own served data: INVALID transition at step ${text(l.step)} (${fault?.kind === 'element' ? `op ${text(fault.op)}, element ${text(fault.element)}` : `${fault?.kind ?? 'next-state'} tensor ${text(fault?.tensor)}, element ${text(fault?.element)}`})`;
    }
    case 'the solver did not serve usable data for a flagged interval':
      return `job ${text(l.jobId)} interval ${text(l.interval)}: the solver does not serve its data (${text(l.reason)})`;
    case 'flagged interval cleared by the exact check: every element within its bound':
      return `job ${text(l.jobId)} interval ${text(l.interval)}: cleared by the exact check`;
    case 'challenging':
      return `challenges job ${text(l.jobId)} interval ${text(l.interval)}${l.faultyStep === null || l.faultyStep === undefined ? ' (data withheld)' : ` (fault at step ${text(l.faultyStep)})`}, posting its bond`;
    case 'dispute resolved':
      return `dispute ${text(l.disputeId)} resolved: ${text(l.outcome)}`;
    case 'the solver ran out of time; ending the dispute':
      return `dispute ${text(l.disputeId)}: the solver's chess clock ran out; ending the game`;
    case 'market reward withdrawn':
      return `withdraws its reward: ${formatUnits(BigInt(text(l.amount ?? 0)), 18)} VTT`;
    case 'job report':
      return `report job ${text(l.jobId)}: ${text(l.checked)}/${text(l.intervals)} intervals checked, compute ${(Number(l.computeFraction) * 100).toFixed(0)}% of training, detection ${(Number(l.detection) * 100).toFixed(1)}%, disputes ${JSON.stringify(l.disputes)}`;
    default:
      if (l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes('CHEATING MODE')) return `WARNING ${l.msg}`;
      if (l.level === 'error') return `ERROR ${text(l.msg)}${err()}`;
      return undefined;
  }
}

export const defaultRunDir = (root: string): string => path.join(root, '.veritrain', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
