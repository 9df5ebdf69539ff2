#!/usr/bin/env node
/**
 * `veritrain-solver`: the solver node's command line. `run` starts the daemon; the other commands
 * manage its key and stake, and read its state. docs/SOLVER.md is the operator guide.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { formatUnits, parseUnits, erc20Abi, type Address } from 'viem';
// Narrow imports: `run` loads the daemon (tfjs, Helia, libp2p) when it starts; the other commands don't.
import { disputeGameAbi, jobMarketAbi, stakingVaultAbi } from '../sdk/abi/index.ts';
import { createChainClient, requireWallet, type WalletChainClient } from '../sdk/chain/client.ts';
import { withRetry } from '../sdk/chain/retry.ts';
import {
  configFileOf,
  configOption,
  EXIT,
  isMain,
  main,
  UsageError,
  type Command,
  type CommandContext,
  type EnvHelp,
  type OptionSpec,
} from '../sdk/daemon/cli.ts';
import { journalRows } from '../sdk/daemon/journal.ts';
import { createKeyFile, importKeyFile, KEY_ENV, KEY_ENV_HELP, keystoreAddress, loadAccount } from '../sdk/daemon/keys.ts';
import { createProgressLine } from '../sdk/daemon/progress.ts';
import { ConfigError } from '../sdk/errors.ts';
import { envHelpOf } from '../sdk/daemon/config.ts';
import { createJsonLogger, type Logger } from '../sdk/log.ts';
import { dbFile, loadSolverConfig, nodeInfoFile, SOLVER_ENV, CONFIG_FILE_ENV, type SolverConfig } from './config.ts';
import type { NodeInfo } from './daemon.ts';
import { openSolverDb } from './db.ts';

const PROGRAM = 'veritrain-solver';

const globalOptions = configOption(CONFIG_FILE_ENV);

async function config(ctx: CommandContext): Promise<SolverConfig> {
  return (await loadSolverConfig({ file: configFileOf(ctx, CONFIG_FILE_ENV), env: ctx.env, signal: ctx.signal, onWarning: ctx.warn })).config;
}

const prompt = (ctx: CommandContext) => (process.stdin.isTTY ? { input: process.stdin, output: ctx.stderr } : undefined);

async function account(ctx: CommandContext, c: SolverConfig) {
  return loadAccount({ keystore: c.key.keystore, env: ctx.env, prompt: prompt(ctx), signal: ctx.signal });
}

async function connect(ctx: CommandContext, c: SolverConfig, logger?: Logger): Promise<WalletChainClient> {
  const signer = await account(ctx, c);
  return requireWallet(
    await createChainClient({
      rpcUrl: c.chain.rpcUrl,
      signer,
      deploymentsDir: c.chain.deploymentsDir,
      deploymentFile: c.chain.deploymentFile,
      pollingIntervalMs: c.chain.pollingIntervalMs,
      confirmations: c.chain.confirmations,
      receiptTimeoutMs: c.chain.receiptTimeoutMs,
      logger,
      signal: ctx.signal,
    }),
    PROGRAM,
  );
}

/** "10" or "2.5" whole tokens, or base units with --wei. */
function amountOf(ctx: CommandContext, text: string | undefined): bigint {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`amount must be a positive number of tokens, got ${text ?? 'nothing'}`);
  const v = ctx.values.wei === true ? BigInt(text) : parseUnits(text, 18);
  if (v <= 0n) throw new UsageError('amount must be positive');
  return v;
}

const weiOption: Record<string, OptionSpec> = { wei: { type: 'boolean', description: 'the amount is in base units, not whole tokens' } };

const run: Command = {
  name: 'run',
  summary: 'run the solver: discover, claim, train, commit, defend, get paid',
  description: 'Runs until SIGINT or SIGTERM; a killed node resumes from its database and the chain.',
  async run(ctx) {
    const c = await config(ctx);
    const signer = await account(ctx, c);
    const holder: { progress?: ReturnType<typeof createProgressLine> } = {};
    const logger = createJsonLogger({
      level: c.log.level,
      write: (line) => {
        if (holder.progress === undefined) ctx.stderr.write(line);
        else
          holder.progress.wrapWrite(() => {
            ctx.stderr.write(line);
          });
      },
    });
    const progress = (holder.progress = createProgressLine({ stream: ctx.stderr, tty: c.log.progress ? undefined : false, logger }));
    const { createSolverDaemon } = await import('./daemon.ts');
    const daemon = createSolverDaemon(c, { account: signer, logger, progress });
    const info = await daemon.start();
    ctx.out(JSON.stringify({ event: 'started', ...info }));
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else
        ctx.signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    logger.info('stopping', { reason: String(ctx.signal.reason) });
    await daemon.stop();
    return EXIT.OK;
  },
};

const status: Command = {
  name: 'status',
  summary: 'show jobs, disputes, earnings and stake',
  options: {
    json: { type: 'boolean', description: 'machine-readable output' },
    offline: { type: 'boolean', description: 'do not ask the chain for the stake' },
  },
  async run(ctx) {
    const c = await config(ctx);
    if (!existsSync(dbFile(c.dataDir)))
      throw new ConfigError(`no solver database in ${c.dataDir}: the node never ran there (start it with \`${PROGRAM} run\`)`, {
        details: { dataDir: c.dataDir },
      });
    const db = await openSolverDb(dbFile(c.dataDir), { now: Date.now, readOnly: true });
    let info: NodeInfo | undefined;
    try {
      info = JSON.parse(await readFile(nodeInfoFile(c.dataDir), 'utf8')) as NodeInfo;
    } catch {
      /* never ran */
    }
    const jobs = db.jobs();
    const disputes = db.disputes();
    const earnings = db.earnings();
    const pendingTxs = journalRows(db.store).filter((t) => t.status === 'intent' || t.status === 'sent' || t.status === 'failed');
    db.close();
    let stake: { staked: string; locked: string; pendingUnstake: string; free: string } | undefined;
    if (ctx.values.offline !== true) {
      try {
        const client = await connect(ctx, c);
        const vault = client.deployment.contracts.StakingVault.address;
        const read = <T>(fn: () => Promise<T>) => withRetry(fn, { attempts: 2, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]) });
        const s = await read(() =>
          client.publicClient.readContract({ address: vault, abi: stakingVaultAbi, functionName: 'stakeOf', args: [client.signer.address] }),
        );
        const free = await read(() =>
          client.publicClient.readContract({ address: vault, abi: stakingVaultAbi, functionName: 'freeStakeOf', args: [client.signer.address] }),
        );
        stake = { staked: s.staked.toString(), locked: s.locked.toString(), pendingUnstake: s.pendingUnstake.toString(), free: free.toString() };
      } catch (err) {
        ctx.err(`(stake unavailable: ${err instanceof Error ? err.message : String(err)})`);
      }
    }
    const earned = earnings.reduce((m, e) => m.set(e.kind, (m.get(e.kind) ?? 0n) + BigInt(e.amount)), new Map<string, bigint>());
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify({ node: info, stake, jobs, disputes, earnings, pendingTxs }));
      return EXIT.OK;
    }
    ctx.out(`node      ${info === undefined ? '(never ran)' : `${info.address} on chain ${info.chainId}, peer ${info.peerId}`}`);
    if (info?.metricsUrl !== undefined) ctx.out(`metrics   ${info.metricsUrl}`);
    if (stake !== undefined)
      ctx.out(
        `stake     ${formatUnits(BigInt(stake.staked), 18)} staked, ${formatUnits(BigInt(stake.locked), 18)} locked, ${formatUnits(BigInt(stake.free), 18)} free, ${formatUnits(BigInt(stake.pendingUnstake), 18)} unstaking`,
      );
    ctx.out(`earned    ${[...earned].map(([k, v]) => `${formatUnits(v, 18)} (${k})`).join(', ') || '0'}`);
    ctx.out('');
    ctx.out(jobs.length === 0 ? 'no jobs yet' : 'job  state       steps        committed  payment  note');
    for (const j of jobs) {
      ctx.out(
        `${j.job_id.padEnd(4)} ${j.state.padEnd(11)} ${`${j.step}/${j.steps ?? '?'}`.padEnd(12)} ${(j.committed >= 0 ? `${j.committed}/${j.checkpoints ?? '?'}` : '-').padEnd(10)} ${j.payment === null ? '-' : formatUnits(BigInt(j.payment), 18)}  ${j.reason ?? ''}`,
      );
    }
    if (disputes.length > 0) {
      ctx.out('');
      ctx.out('dispute  job  interval  state      moves  challenger');
      for (const d of disputes)
        ctx.out(
          `${d.dispute_id.padEnd(8)} ${d.job_id.padEnd(4)} ${String(d.interval).padEnd(9)} ${d.state.padEnd(10)} ${String(d.moves).padEnd(6)} ${d.challenger}`,
        );
    }
    if (pendingTxs.length > 0) {
      ctx.out('');
      for (const t of pendingTxs) ctx.out(`tx ${t.key} ${t.status}${t.hash === null ? '' : ` ${t.hash}`}${t.error === null ? '' : `: ${t.error}`}`);
    }
    return EXIT.OK;
  },
};

const keyCreate: Command = {
  name: 'key create',
  summary: 'create a new key in an encrypted keystore file',
  args: '<file>',
  positionals: 1,
  description: `The password comes from ${KEY_ENV.password}, ${KEY_ENV.passwordFile} or a hidden prompt. The file is never overwritten.`,
  async run(ctx) {
    const { address, file } = await createKeyFile(ctx.positionals[0] as string, { env: ctx.env, prompt: prompt(ctx), signal: ctx.signal });
    ctx.out(`created ${file} for ${address}`);
    return EXIT.OK;
  },
};

const keyImport: Command = {
  name: 'key import',
  summary: 'import a private key (from VERITRAIN_PRIVATE_KEY or a hidden prompt) into an encrypted keystore file',
  args: '<file>',
  positionals: 1,
  async run(ctx) {
    const { address, file } = await importKeyFile(ctx.positionals[0] as string, { env: ctx.env, prompt: prompt(ctx), signal: ctx.signal });
    ctx.out(`imported ${address} into ${file}`);
    return EXIT.OK;
  },
};

const keyAddress: Command = {
  name: 'key address',
  summary: 'print the address of a keystore file (default: key.keystore of the config)',
  args: '[file]',
  positionals: [0, 1],
  async run(ctx) {
    const file = ctx.positionals[0] ?? (await config(ctx)).key.keystore;
    if (file === undefined) throw new UsageError('no keystore: pass a file or set key.keystore');
    ctx.out(await keystoreAddress(file, ctx.signal));
    return EXIT.OK;
  },
};

const stake: Command = {
  name: 'stake',
  summary: 'approve and stake tokens in the staking vault',
  args: '<amount>',
  positionals: 1,
  options: weiOption,
  async run(ctx) {
    const c = await config(ctx);
    const amount = amountOf(ctx, ctx.positionals[0]);
    const client = await connect(ctx, c);
    const vault = client.deployment.contracts.StakingVault.address;
    const token = client.deployment.stakeToken;
    const allowance = await client.publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: 'allowance',
      args: [client.signer.address, vault],
    });
    if (allowance < amount) {
      const a = await client.sender.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [vault, amount], signal: ctx.signal });
      ctx.err(`approved ${formatUnits(amount, 18)} for the vault (${a.hash})`);
    }
    const { hash } = await client.sender.writeContract({ address: vault, abi: stakingVaultAbi, functionName: 'stake', args: [amount], signal: ctx.signal });
    const free = await client.publicClient.readContract({ address: vault, abi: stakingVaultAbi, functionName: 'freeStakeOf', args: [client.signer.address] });
    ctx.out(`staked ${formatUnits(amount, 18)} (${hash}); free stake now ${formatUnits(free, 18)}`);
    return EXIT.OK;
  },
};

const unstakeRequest: Command = {
  name: 'unstake request',
  summary: 'start the unstake delay for free stake',
  args: '<amount>',
  positionals: 1,
  options: weiOption,
  async run(ctx) {
    const c = await config(ctx);
    const amount = amountOf(ctx, ctx.positionals[0]);
    const client = await connect(ctx, c);
    const vault = client.deployment.contracts.StakingVault.address;
    const { hash } = await client.sender.writeContract({
      address: vault,
      abi: stakingVaultAbi,
      functionName: 'requestUnstake',
      args: [amount],
      signal: ctx.signal,
    });
    ctx.out(
      `unstake of ${formatUnits(amount, 18)} requested (${hash}); withdraw it after ${client.deployment.parameters.unstakeDelay} s with \`${PROGRAM} unstake withdraw\``,
    );
    return EXIT.OK;
  },
};

const unstakeWithdraw: Command = {
  name: 'unstake withdraw',
  summary: 'withdraw stake whose unstake delay has passed',
  async run(ctx) {
    const c = await config(ctx);
    const client = await connect(ctx, c);
    const vault = client.deployment.contracts.StakingVault.address;
    const { hash } = await client.sender.writeContract({ address: vault, abi: stakingVaultAbi, functionName: 'withdrawStake', args: [], signal: ctx.signal });
    ctx.out(`stake withdrawn (${hash})`);
    return EXIT.OK;
  },
};

const withdraw: Command = {
  name: 'withdraw',
  summary: 'withdraw credited payments and won dispute bonds (the daemon does this by itself)',
  async run(ctx) {
    const c = await config(ctx);
    const client = await connect(ctx, c);
    const market = client.deployment.contracts.JobMarket.address;
    let any = false;
    for (const token of new Set<Address>([...client.deployment.paymentTokens, client.deployment.stakeToken])) {
      const credit = await client.publicClient.readContract({
        address: market,
        abi: jobMarketAbi,
        functionName: 'creditOf',
        args: [client.signer.address, token],
      });
      if (credit === 0n) continue;
      const { hash } = await client.sender.writeContract({ address: market, abi: jobMarketAbi, functionName: 'withdraw', args: [token], signal: ctx.signal });
      ctx.out(`withdrew ${formatUnits(credit, 18)} of ${token} (${hash})`);
      any = true;
    }
    const game = await client.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: 'disputeGame' });
    if (!/^0x0{40}$/.test(game)) {
      const credit = await client.publicClient.readContract({ address: game, abi: disputeGameAbi, functionName: 'creditOf', args: [client.signer.address] });
      if (credit > 0n) {
        const { hash } = await client.sender.writeContract({ address: game, abi: disputeGameAbi, functionName: 'withdraw', args: [], signal: ctx.signal });
        ctx.out(`withdrew ${formatUnits(credit, 18)} of dispute bonds (${hash})`);
        any = true;
      }
    }
    if (!any) ctx.out('nothing to withdraw');
    return EXIT.OK;
  },
};

const showConfig: Command = {
  name: 'config',
  summary: 'print the effective configuration (file, environment and defaults merged)',
  async run(ctx) {
    const c = await config(ctx);
    ctx.out(JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    return EXIT.OK;
  },
};

/** Every variable the solver reads, for `--help`. */
export const ENVIRONMENT: readonly EnvHelp[] = [
  { name: CONFIG_FILE_ENV, description: 'config file (--config wins)' },
  ...envHelpOf(SOLVER_ENV),
  ...KEY_ENV_HELP,
];

export const COMMANDS: readonly Command[] = [run, status, keyCreate, keyImport, keyAddress, stake, unstakeRequest, unstakeWithdraw, withdraw, showConfig];

if (isMain(import.meta.url)) {
  await main({
    program: PROGRAM,
    summary: 'Veritrain solver node: stake, claim, train, commit, defend, get paid. Operator guide: docs/SOLVER.md.',
    commands: COMMANDS,
    globalOptions,
    environment: ENVIRONMENT,
  });
}
