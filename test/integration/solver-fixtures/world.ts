// A real world for the solver daemon: an Anvil chain (child processes reach it by URL) with the
// whole deployment, a submitter with its own Helia + libp2p node in the test process, and the
// solver daemon run as a child process through its CLI, so the tests can kill -9 it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Address, Hex } from 'viem';
import { createPublicClient, createTestClient, createWalletClient, http, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import {
  createChainClient,
  createDataset,
  createHeliaStore,
  createP2PNode,
  deploy,
  postJob,
  requireWallet,
  silentLogger,
  writeDeployment,
  type Deployment,
  type HeliaStore,
  type JobSpec,
  type P2PNode,
  type WalletChainClient,
} from '../../../sdk/index.ts';
import { mnistJob } from '../fixtures/mnist-job.ts';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const CLI = path.join(ROOT, 'node', 'cli.ts');
const ANVIL = path.join(ROOT, 'node_modules', '.bin', 'anvil');

// Anvil's well-known development keys (accounts 0..3).
export const KEYS = {
  deployer: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  submitter: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  solver: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  challenger: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  cheater: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
} as const satisfies Record<string, Hex>;

export const PAYMENT = parseEther('8');
export const STAKE = parseEther('10');
export const BOND = parseEther('1');
export const CHALLENGE_WINDOW = 600;

const cleanups: (() => Promise<void>)[] = [];
const children = new Set<ChildProcess>();

export async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
}

export async function tempDir(name: string): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), `veritrain-solver-${name}-`));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => {
        resolve(port);
      });
    });
  });
}

async function startAnvil(): Promise<string> {
  const port = await freePort();
  const child = spawn(ANVIL, ['--port', String(port), '--silent', '--disable-code-size-limit'], { stdio: 'ignore' });
  children.add(child);
  cleanups.push(() => {
    child.kill('SIGKILL');
    return Promise.resolve();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (r.ok) return url;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('anvil did not start');
}

export interface LogLine {
  readonly msg: string;
  readonly level: string;
  readonly [k: string]: unknown;
}

/** The solver daemon as a child process, with its JSON log lines collected. */
export interface SolverProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly started: { peerId: string; multiaddrs: string[]; metricsUrl?: string; address: Address };
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function spawnSolver(configFile: string, env: Record<string, string>, logs: LogLine[] = []): Promise<SolverProcess> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const waiters = new Set<() => void>();
  const raw: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    raw.push(line);
    if (raw.length > 200) raw.shift();
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      return;
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      children.delete(child);
      resolve();
      for (const w of waiters) w();
    });
  });
  const started = await new Promise<SolverProcess['started']>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`solver did not start: ${raw.slice(-10).join('\n')}`));
    }, 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { event?: string } & SolverProcess['started'];
        if (m.event === 'started') {
          clearTimeout(timer);
          resolve(m);
        }
      } catch {
        /* not ours */
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`solver exited with ${code}: ${raw.slice(-10).join('\n')}`));
    });
  });
  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs: number, what = 'a log line'): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      let seen = 0;
      const check = (): void => {
        for (; seen < logs.length; seen++) {
          const l = logs[seen] as LogLine;
          if (pred(l)) {
            cleanupWaiter();
            resolve(l);
            return;
          }
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          cleanupWaiter();
          reject(new Error(`solver exited while waiting for ${what}: ${raw.slice(-10).join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        cleanupWaiter();
        reject(new Error(`timed out waiting for ${what}; last lines:\n${raw.slice(-15).join('\n')}`));
      }, timeoutMs);
      const cleanupWaiter = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    logs,
    started,
    waitForLog,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function createSolverWorld(options: { k: number; intervals: number }) {
  const rpcUrl = await startAnvil();
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 50 });
  const testClient = createTestClient({ chain: foundry, mode: 'anvil', transport });
  const wallet = (key: Hex) => createWalletClient({ chain: foundry, transport, account: privateKeyToAccount(key) });
  const deployment: Deployment = await deploy({
    publicClient,
    walletClient: wallet(KEYS.deployer),
    parameters: { minChallengeWindow: 60, unstakeDelay: 60, challengeBond: BOND, clockBudget: 600 },
  });
  const deploymentsDir = await tempDir('deployments');
  await writeDeployment(deployment, deploymentsDir);
  const token = deployment.token as Address;
  const mintAbi = [
    {
      type: 'function',
      name: 'mint',
      stateMutability: 'nonpayable',
      inputs: [
        { name: 'to', type: 'address' },
        { name: 'amount', type: 'uint256' },
      ],
      outputs: [],
    },
  ] as const;
  const deployer = wallet(KEYS.deployer);
  for (const key of [KEYS.submitter, KEYS.solver, KEYS.challenger, KEYS.cheater]) {
    const hash = await deployer.writeContract({
      address: token,
      abi: mintAbi,
      functionName: 'mint',
      args: [privateKeyToAccount(key).address, parseEther('1000')],
    });
    await publicClient.waitForTransactionReceipt({ hash });
  }
  const increaseTime = async (seconds: number): Promise<void> => {
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  };

  // The submitter: its own IPFS + libp2p node, from which the solver fetches spec and dataset.
  const submitterDir = await tempDir('submitter');
  const submitterNode: P2PNode = createP2PNode({
    account: privateKeyToAccount(KEYS.submitter),
    chainId: deployment.chainId,
    market: deployment.contracts.JobMarket.address,
    directory: submitterDir,
    logger: silentLogger,
  });
  await submitterNode.start();
  const submitterStore: HeliaStore = createHeliaStore({ directory: submitterDir, libp2p: submitterNode.libp2p, logger: silentLogger });
  await submitterStore.start();
  cleanups.push(async () => {
    await submitterStore.stop();
    await submitterNode.stop();
  });
  const submitter: WalletChainClient = requireWallet(
    await createChainClient({ publicClient, deploymentsDir, signer: privateKeyToAccount(KEYS.submitter), pollingIntervalMs: 50, logger: silentLogger }),
    'submitter',
  );

  const { spec: base, train: records } = mnistJob(options.k * options.intervals, options.k, 16);
  base.model.layers = [784, 32, 10];
  const { graphRoot: _g, ...input } = base;
  const { completeSpec } = await import('../../../sdk/index.ts');
  const dataset = await createDataset(submitterStore, { records, recordBytes: 785 });
  const spec: JobSpec = completeSpec({ ...input, model: { ...input.model, layers: [784, 32, 10] }, data: { ...input.data, cid: dataset.cid } });

  async function post(): Promise<bigint> {
    const { jobId } = await postJob(submitter, {
      spec,
      store: submitterStore,
      payment: PAYMENT,
      solverStake: STAKE,
      claimWindow: 3_600,
      trainingDuration: 3_600,
      challengeWindow: CHALLENGE_WINDOW,
    });
    return jobId;
  }

  return {
    rpcUrl,
    publicClient,
    testClient,
    wallet,
    deployment,
    deploymentsDir,
    token,
    increaseTime,
    submitterNode,
    submitterStore,
    submitter,
    spec,
    records,
    post,
  };
}

export async function writeSolverConfig(file: string, config: object): Promise<void> {
  await writeFile(file, JSON.stringify(config, null, 2));
}
