#!/usr/bin/env node
// veritrain-verifier: the verifier daemon's command line (key, stake, run, report).
import path from 'node:path';
import { erc20Abi, formatUnits } from 'viem';
// Narrow imports: `run` loads the daemon (tfjs, Helia, libp2p) when it starts; the other commands don't.
import { disputeGameAbi, jobMarketAbi } from '../sdk/abi/index.ts';
import { createChainClient, marketAddress, requireWallet } from '../sdk/chain/client.ts';
import { EXIT, requireOption, runCli, stringOption, type Command, type CommandContext } from '../sdk/daemon/cli.ts';
import { createKeyFile, importKeyFile, keystoreAddress, loadAccount } from '../sdk/daemon/keys.ts';
import { createJsonLogger } from '../sdk/log.ts';
import { loadVerifierConfig, VERIFIER_ENV, type VerifierConfig } from './config.ts';
import { formatReport, jobReport } from './core/report.ts';
import { openVerifierDb } from './services/db.ts';

const configOf = (ctx: CommandContext): Promise<VerifierConfig> => loadVerifierConfig({ file: stringOption(ctx, 'config') ?? ctx.env.VERITRAIN_VERIFIER_CONFIG, env: ctx.env, signal: ctx.signal });
const prompt = { input: process.stdin, output: process.stderr };

const keyCreate: Command = {
  name: 'key create',
  summary: 'create a new key in an encrypted keystore file',
  options: { keystore: { type: 'string', description: 'keystore file to write', value: '<file>' } },
  async run(ctx) {
    const file = requireOption(ctx, 'keystore');
    const { address } = await createKeyFile(file, { env: ctx.env, prompt, signal: ctx.signal });
    ctx.out(`${address}  ${file}`);
    return EXIT.OK;
  },
};

const keyImport: Command = {
  name: 'key import',
  summary: 'import the private key in VERITRAIN_PRIVATE_KEY (or typed at a prompt) into a keystore file',
  options: { keystore: { type: 'string', description: 'keystore file to write', value: '<file>' } },
  async run(ctx) {
    const file = requireOption(ctx, 'keystore');
    const { address } = await importKeyFile(file, { env: ctx.env, prompt, signal: ctx.signal });
    ctx.out(`${address}  ${file}`);
    return EXIT.OK;
  },
};

const keyAddress: Command = {
  name: 'key address',
  summary: 'print the address of the configured keystore',
  options: { keystore: { type: 'string', description: 'keystore file (default: key.keystore of the config)', value: '<file>' } },
  async run(ctx) {
    const file = stringOption(ctx, 'keystore') ?? (await configOf(ctx)).key.keystore;
    if (file === undefined) throw new Error('no keystore: pass --keystore or set key.keystore');
    ctx.out(await keystoreAddress(file, ctx.signal));
    return EXIT.OK;
  },
};

const stake: Command = {
  name: 'stake',
  summary: 'show the bond token balance and allow the dispute game to take bonds',
  description: 'Verifiers post a bond (challengeBond, in the stake token) with each challenge and get it back when they win. This approves the dispute game for --bonds bonds; with --mint on a development chain it mints the tokens first.',
  options: {
    bonds: { type: 'string', description: 'number of bonds to approve', default: '4', value: '<n>' },
    mint: { type: 'boolean', description: 'development chains: mint the tokens with the TestToken first' },
  },
  async run(ctx) {
    const config = await configOf(ctx);
    const account = await loadAccount({ keystore: config.key.keystore, env: ctx.env, prompt, signal: ctx.signal });
    const chain = requireWallet(await createChainClient({ rpcUrl: config.chain.rpcUrl, signer: account, deploymentsDir: config.chain.deploymentsDir, deploymentFile: config.chain.deploymentFile, signal: ctx.signal }), 'stake');
    const pc = chain.publicClient;
    const game = await pc.readContract({ address: marketAddress(chain), abi: jobMarketAbi, functionName: 'disputeGame' });
    const [token, bond] = await Promise.all([
      pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'bondToken' }),
      pc.readContract({ address: game, abi: disputeGameAbi, functionName: 'challengeBond' }),
    ]);
    const bonds = BigInt(stringOption(ctx, 'bonds') ?? '4');
    const amount = bond * bonds;
    if (ctx.values.mint === true) {
      const mintAbi = [{ type: 'function', name: 'mint', stateMutability: 'nonpayable', inputs: [{ name: 'to', type: 'address' }, { name: 'amount', type: 'uint256' }], outputs: [] }] as const;
      await chain.sender.writeContract({ address: token, abi: mintAbi, functionName: 'mint', args: [account.address, amount], signal: ctx.signal });
    }
    await chain.sender.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [game, amount], signal: ctx.signal });
    const balance = await pc.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account.address] });
    ctx.out(`account ${account.address}\nbond ${formatUnits(bond, 18)} per challenge; approved ${bonds} (${formatUnits(amount, 18)})\nbalance ${formatUnits(balance, 18)}`);
    if (balance < bond) ctx.err('warning: the balance does not cover one bond');
    return EXIT.OK;
  },
};

const run: Command = {
  name: 'run',
  summary: 'run the verifier daemon until interrupted',
  async run(ctx) {
    const config = await configOf(ctx);
    const logger = createJsonLogger({ level: config.log.level });
    const { startVerifierFromConfig } = await import('./daemon.ts');
    const { stop } = await startVerifierFromConfig(config, { env: ctx.env, signal: ctx.signal, logger });
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => { resolve(); }, { once: true });
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
    const db = await openVerifierDb(path.join(config.dataDir, 'verifier.db'));
    try {
      const only = stringOption(ctx, 'job');
      const f = Number(stringOption(ctx, 'fake-fraction') ?? config.sampling.fakeFraction);
      for (const row of db.allJobs()) {
        if (only !== undefined && row.job_id !== only) continue;
        if (row.steps === null || row.k === null || row.intervals === null) continue;
        const jobId = BigInt(row.job_id);
        const r = jobReport({
          jobId: row.job_id, jobStatus: row.status, steps: row.steps, checkpointInterval: row.k, intervals: row.intervals,
          sampled: JSON.parse(row.sample ?? '[]') as number[], rows: db.intervalRows(jobId), disputes: db.disputeRows(jobId), fakeFraction: f,
        });
        ctx.out(ctx.values.json === true ? JSON.stringify(r) : `${formatReport(r)}\n`);
      }
    } finally {
      db.close();
    }
    return EXIT.OK;
  },
};

const code = await runCli({
  program: 'veritrain-verifier',
  summary: 'Veritrain verifier: samples checkpoint intervals, re-computes them, challenges provable fraud and collects rewards.',
  commands: [keyCreate, keyImport, keyAddress, stake, run, report],
  globalOptions: { config: { type: 'string', description: 'JSON config file (or VERITRAIN_VERIFIER_CONFIG)', value: '<file>' } },
  epilog: `environment:\n${VERIFIER_ENV.map((b) => `  ${b.name.padEnd(32)} ${b.description ?? b.path}`).join('\n')}\n  VERITRAIN_PRIVATE_KEY            development only: a raw key instead of the keystore\n  VERITRAIN_KEYSTORE_PASSWORD      the keystore password (or VERITRAIN_KEYSTORE_PASSWORD_FILE)`,
  argv: process.argv.slice(2),
});
process.exitCode = code;
