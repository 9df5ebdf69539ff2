#!/usr/bin/env node
/**
 * `veritrain-verifier`: the verifier daemon's command line. `run` starts the daemon; the other
 * commands manage its key and bond allowance, and read its reports. docs/VERIFIER.md is the
 * operator guide.
 */
import { existsSync } from 'node:fs';
import { erc20Abi, formatUnits } from 'viem';
// Narrow imports: `run` loads the daemon (tfjs, Helia, libp2p) when it starts; the other commands don't.
import { disputeGameAbi, jobMarketAbi } from '../sdk/abi/index.ts';
import { createChainClient, marketAddress, requireWallet } from '../sdk/chain/client.ts';
import {
  configFileOf,
  configOption,
  EXIT,
  isMain,
  main,
  stringOption,
  UsageError,
  type Command,
  type CommandContext,
  type EnvHelp,
} from '../sdk/daemon/cli.ts';
import { createKeyFile, importKeyFile, KEY_ENV, KEY_ENV_HELP, keystoreAddress, loadAccount } from '../sdk/daemon/keys.ts';
import { ConfigError } from '../sdk/errors.ts';
import { envHelpOf } from '../sdk/daemon/config.ts';
import { createJsonLogger } from '../sdk/log.ts';
import { CONFIG_FILE_ENV, dbFile, loadVerifierConfig, VERIFIER_ENV, type VerifierConfig } from './config.ts';
import { formatReport, jobReport } from './core/report.ts';
import { openVerifierDb } from './services/db.ts';

const PROGRAM = 'veritrain-verifier';

async function configOf(ctx: CommandContext): Promise<VerifierConfig> {
  return (await loadVerifierConfig({ file: configFileOf(ctx, CONFIG_FILE_ENV), env: ctx.env, signal: ctx.signal, onWarning: ctx.warn })).config;
}

const prompt = (ctx: CommandContext) => (process.stdin.isTTY ? { input: process.stdin, output: ctx.stderr } : undefined);

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
  summary: `import a private key (from ${KEY_ENV.privateKey} or a hidden prompt) into an encrypted keystore file`,
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
    const file = ctx.positionals[0] ?? (await configOf(ctx)).key.keystore;
    if (file === undefined) throw new UsageError('no keystore: pass a file or set key.keystore');
    ctx.out(await keystoreAddress(file, ctx.signal));
    return EXIT.OK;
  },
};

/** A positive integer option, or its default. */
function countOption(ctx: CommandContext, name: string, fallback: bigint): bigint {
  const text = stringOption(ctx, name);
  if (text === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--${name} must be a positive integer, got ${text}`);
  return BigInt(text);
}

/** A fraction in (0, 1], or its default. */
function fractionOption(ctx: CommandContext, name: string, fallback: number): number {
  const text = stringOption(ctx, name);
  if (text === undefined) return fallback;
  const f = Number(text);
  if (text.trim() === '' || !(f > 0 && f <= 1)) throw new UsageError(`--${name} must be a fraction in (0, 1], got ${text}`);
  return f;
}

const stake: Command = {
  name: 'stake',
  summary: 'show the bond token balance and allow the dispute game to take bonds',
  description:
    'Verifiers post a bond (challengeBond, in the stake token) with each challenge and get it back when they win. This approves the dispute game for --bonds bonds; with --mint on a development chain it mints the tokens first.',
  options: {
    bonds: { type: 'string', description: 'number of bonds to approve', default: '4', value: '<n>' },
    mint: { type: 'boolean', description: 'development chains: mint the tokens with the TestToken first' },
  },
  async run(ctx) {
    const config = await configOf(ctx);
    const bonds = countOption(ctx, 'bonds', 4n);
    const account = await loadAccount({ keystore: config.key.keystore, env: ctx.env, prompt: prompt(ctx), signal: ctx.signal });
    const chain = requireWallet(
      await createChainClient({
        rpcUrl: config.chain.rpcUrl,
        signer: account,
        deploymentsDir: config.chain.deploymentsDir,
        deploymentFile: config.chain.deploymentFile,
        pollingIntervalMs: config.chain.pollingIntervalMs,
        confirmations: config.chain.confirmations,
        receiptTimeoutMs: config.chain.receiptTimeoutMs,
        signal: ctx.signal,
      }),
      PROGRAM,
    );
    const pc = chain.publicClient;
    const game = await pc.readContract({ address: marketAddress(chain), abi: jobMarketAbi, functionName: 'disputeGame' });
    const [token, bond] = await Promise.all([
      pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' }),
      pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'challengeBond' }),
    ]);
    const amount = bond * bonds;
    if (ctx.values.mint === true) {
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
      await chain.sender.writeContract({ address: token, abi: mintAbi, functionName: 'mint', args: [account.address, amount], signal: ctx.signal });
    }
    await chain.sender.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [game, amount], signal: ctx.signal });
    const balance = await pc.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account.address] });
    ctx.out(
      `account ${account.address}\nbond ${formatUnits(bond, 18)} per challenge; approved ${bonds} (${formatUnits(amount, 18)})\nbalance ${formatUnits(balance, 18)}`,
    );
    if (balance < bond) ctx.warn('the balance does not cover one bond');
    return EXIT.OK;
  },
};

const run: Command = {
  name: 'run',
  summary: 'run the verifier: follow jobs, sample and re-execute intervals, challenge fraud, collect rewards',
  description: 'Runs until SIGINT or SIGTERM; a killed verifier resumes from its database and the chain.',
  async run(ctx) {
    const config = await configOf(ctx);
    const logger = createJsonLogger({ level: config.log.level });
    const { startVerifierFromConfig } = await import('./daemon.ts');
    const { stop } = await startVerifierFromConfig(config, { env: ctx.env, signal: ctx.signal, logger });
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
    await stop();
    return EXIT.OK;
  },
};

const report: Command = {
  name: 'report',
  summary: 'per job: intervals checked, compute fraction, detection probability, disputes',
  options: {
    job: { type: 'string', description: 'only this job id', value: '<id>' },
    'fake-fraction': { type: 'string', description: 'faked fraction for the detection figure (default: sampling.fakeFraction)', value: '<f>' },
    json: { type: 'boolean', description: 'one JSON object per job' },
  },
  async run(ctx) {
    const config = await configOf(ctx);
    const only = stringOption(ctx, 'job');
    if (only !== undefined && !/^\d+$/.test(only)) throw new UsageError(`--job must be a job id, got ${only}`);
    const f = fractionOption(ctx, 'fake-fraction', config.sampling.fakeFraction);
    if (!existsSync(dbFile(config.dataDir)))
      throw new ConfigError(`no verifier database in ${config.dataDir}: the verifier never ran there (start it with \`${PROGRAM} run\`)`, {
        details: { dataDir: config.dataDir },
      });
    const db = await openVerifierDb(dbFile(config.dataDir));
    try {
      for (const row of db.allJobs()) {
        if (only !== undefined && row.job_id !== only) continue;
        if (row.steps === null || row.k === null || row.intervals === null) continue;
        const jobId = BigInt(row.job_id);
        const r = jobReport({
          jobId: row.job_id,
          jobStatus: row.status,
          steps: row.steps,
          checkpointInterval: row.k,
          intervals: row.intervals,
          sampled: JSON.parse(row.sample ?? '[]') as number[],
          rows: db.intervalRows(jobId),
          disputes: db.disputeRows(jobId),
          fakeFraction: f,
        });
        ctx.out(ctx.values.json === true ? JSON.stringify(r) : `${formatReport(r)}\n`);
      }
    } finally {
      db.close();
    }
    return EXIT.OK;
  },
};

const showConfig: Command = {
  name: 'config',
  summary: 'print the effective configuration (file, environment and defaults merged)',
  async run(ctx) {
    ctx.out(JSON.stringify(await configOf(ctx), null, 2));
    return EXIT.OK;
  },
};

/** Every variable the verifier reads, for `--help`. */
export const ENVIRONMENT: readonly EnvHelp[] = [
  { name: CONFIG_FILE_ENV, description: 'config file (--config wins)' },
  ...envHelpOf(VERIFIER_ENV),
  ...KEY_ENV_HELP,
];

export const COMMANDS: readonly Command[] = [run, report, keyCreate, keyImport, keyAddress, stake, showConfig];

if (isMain(import.meta.url)) {
  await main({
    program: PROGRAM,
    summary:
      'Veritrain verifier: samples checkpoint intervals, re-computes them, challenges provable fraud and collects rewards. Operator guide: docs/VERIFIER.md.',
    commands: COMMANDS,
    globalOptions: configOption(CONFIG_FILE_ENV),
    environment: ENVIRONMENT,
  });
}
