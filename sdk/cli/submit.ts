#!/usr/bin/env node
/**
 * veritrain-submit: the submitter CLI over the SDK (docs/SDK.md).
 *
 *   veritrain-submit post <spec.json> --dataset <file|mnist> --payment 100 --stake 10
 *   veritrain-submit status <jobId> | watch <jobId> | cancel <jobId> | download <jobId> --out ./model
 *   veritrain-submit estimate <spec.json> --payment 100 --stake 10
 *   veritrain-submit keystore new <file> | keystore import <file>
 *
 * Results go to stdout (human text, or JSON with --json); progress lines go to stderr.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Address, Hex, LocalAccount } from 'viem';
import { erc20Abi, formatUnits, isAddress, parseUnits } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
// Narrow imports; the IPFS node, libp2p and the MNIST data load only in the commands that use them.
import { createChainClient, type ChainClient, type WalletChainClient } from '../chain/client.ts';
import { accountFromEnv, createKeystore, importKeystore, unlockKeystore } from '../chain/keystore.ts';
import { VeritrainError } from '../errors.ts';
import { completeSpec } from '../graph/complete.ts';
import { recordBytes, type JobSpecInput } from '../spec/job-spec.ts';
import type { P2PNode } from '../p2p/node.ts';
import type { ContentStore } from '../storage/types.ts';
import { createDataset } from '../submitter/dataset.ts';
import { cancelJob, describeJobEvent, getJob, watchJob } from '../submitter/job.ts';
import { estimateCost, postJob } from '../submitter/post.ts';
import type { Progress } from '../submitter/progress.ts';

const USAGE = `veritrain-submit <command> [options]

Commands:
  post <spec.json>        upload the spec (and dataset) and post the job with its payment in escrow
  status <jobId>          show a job: status, deadlines, checkpoints, disputes
  watch <jobId>           follow a job's events until it settles (Ctrl-C stops)
  cancel <jobId>          cancel an unclaimed job and withdraw the refund
  download <jobId>        fetch the final checkpoint, verify it against the chain, export a tfjs model
  estimate <spec.json>    gas, fees and compute of a job
  keystore new|import <file>   create an encrypted keystore (import reads the key from --key-env)

Common options:
  --rpc <url>             JSON-RPC endpoint (env VERITRAIN_RPC; default http://127.0.0.1:8545)
  --deployment <file>     deployment file (default deployments/<chainId>.json)
  --keystore <file>       sign with an encrypted keystore (password: env VERITRAIN_KEYSTORE_PASSWORD, or prompted)
  --key-env <VAR>         sign with the private key in this env variable (default VERITRAIN_PRIVATE_KEY)
  --ipfs <url>            use a Kubo node's RPC API instead of the embedded IPFS node
  --store-dir <dir>       embedded IPFS node directory (default .veritrain/submitter-ipfs)
  --bootstrap <multiaddr> put the embedded node online, connected to this peer (repeatable)
  --json                  machine-readable output on stdout
  --quiet                 no progress lines
  --timeout <seconds>     give up after this long (default 600; watch: none)
  -h, --help              help for a command

Run 'veritrain-submit <command> --help' for the options of a command.`;

const HELP: Record<string, string> = {
  post: `veritrain-submit post <spec.json> --payment <tokens> --stake <tokens> [options]

  <spec.json> is a job spec (docs/PROTOCOL.md §2.6, sdk/spec/example-spec.ts). Missing graphRoot is filled in.
  --dataset <file|mnist>   upload this dataset (records back to back) and fill data.root, data.cid,
                           data.recordCount; 'mnist' uses the bundled MNIST digits (last 1000 held out)
  --payment <tokens>       escrowed payment, in whole tokens (decimals read from the token)
  --stake <tokens>         stake the solver must lock
  --token <address>        payment token (default: the deployment's first)
  --claim-window <s>       seconds until the claim deadline (default 86400)
  --training-duration <s>  seconds from claim to the training deadline (default 86400)
  --challenge-window <s>   seconds for disputes after submission (default: the market minimum)
  --mint                   development chains: mint the payment with the TestToken first`,
  status: 'veritrain-submit status <jobId> [--json]\n\n  Stored status, time-derived views (finalizable, expirable), checkpoints with CIDs, disputes.',
  watch: 'veritrain-submit watch <jobId> [--json] [--from-block <n>] [--confirmations <n>]\n\n  Prints each event of the job, past then live, and exits when it settles (Cancelled, Finalized, Expired, Slashed).',
  cancel: 'veritrain-submit cancel <jobId> [--no-withdraw]\n\n  Cancels an Open job (submitter only) and withdraws the refunded payment unless --no-withdraw.',
  download: `veritrain-submit download <jobId> --out <dir> [--require-finalized]

  Fetches the spec and the final checkpoint from IPFS, checks the checkpoint against the state root
  stored on-chain, and writes a tfjs LayersModel (model.json + weights.bin) to <dir>.`,
  estimate: 'veritrain-submit estimate <spec.json> --payment <tokens> --stake <tokens>\n\n  Gas and fees for the submitter and the solver at the current gas price, and the training compute.',
  keystore: `veritrain-submit keystore new <file>
veritrain-submit keystore import <file> [--key-env VAR]

  Writes an encrypted keystore (scrypt + AES-256-GCM, mode 0600). The password comes from
  VERITRAIN_KEYSTORE_PASSWORD or is prompted for. Files are never overwritten.`,
};

const OPTIONS = {
  rpc: { type: 'string' }, deployment: { type: 'string' }, keystore: { type: 'string' }, 'key-env': { type: 'string' },
  ipfs: { type: 'string' }, 'store-dir': { type: 'string' }, bootstrap: { type: 'string', multiple: true },
  json: { type: 'boolean' }, quiet: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  dataset: { type: 'string' }, payment: { type: 'string' }, stake: { type: 'string' }, token: { type: 'string' },
  'claim-window': { type: 'string' }, 'training-duration': { type: 'string' }, 'challenge-window': { type: 'string' }, mint: { type: 'boolean' },
  'from-block': { type: 'string' }, confirmations: { type: 'string' }, 'no-withdraw': { type: 'boolean' }, out: { type: 'string' },
  'require-finalized': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {
  override name = 'UsageError';
}

const stdout = (line: string): void => { process.stdout.write(`${line}\n`); };
const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

function progressPrinter(quiet: boolean): (p: Progress) => void {
  const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
  return (p) => {
    if (quiet) return;
    const amount = p.total !== undefined && p.done !== undefined ? (p.total > 4096 ? ` ${mib(p.done)}/${mib(p.total)} MiB` : ` ${p.done}/${p.total}`) : '';
    process.stderr.write(`[${p.phase}]${amount}${p.ref === undefined ? '' : ` ${p.ref}`}\n`);
  };
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

function jobIdArg(positionals: readonly string[]): bigint {
  const raw = positionals[1];
  if (raw === undefined || !/^\d+$/.test(raw)) throw new UsageError('expected a job id (a positive integer)');
  return BigInt(raw);
}

async function readPassword(prompt: string): Promise<string> {
  const fromEnv = process.env.VERITRAIN_KEYSTORE_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) throw new UsageError('set VERITRAIN_KEYSTORE_PASSWORD (no terminal to prompt on)');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(prompt);
  // Mute the echo: the password is never shown or logged.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const answer = await new Promise<string>((resolve) => { rl.question('', resolve); });
  rl.close();
  process.stderr.write('\n');
  return answer;
}

async function account(values: Values, required: boolean): Promise<LocalAccount | undefined> {
  const keystore = values.keystore ?? process.env.VERITRAIN_KEYSTORE;
  if (keystore !== undefined && keystore !== '') return unlockKeystore(keystore, await readPassword(`password for ${keystore}: `));
  const variable = values['key-env'] ?? 'VERITRAIN_PRIVATE_KEY';
  if (!required && (process.env[variable] ?? '') === '') return undefined;
  return accountFromEnv(variable);
}

async function client(values: Values, signer: LocalAccount | undefined, signal: AbortSignal): Promise<ChainClient> {
  const rpcUrl = values.rpc ?? process.env.VERITRAIN_RPC ?? 'http://127.0.0.1:8545';
  return createChainClient({ rpcUrl, signer, deploymentFile: values.deployment ?? process.env.VERITRAIN_DEPLOYMENT, signal, confirmations: int(values.confirmations, 'confirmations') });
}

/** The content store, and the libp2p node when the store is online (--bootstrap), which also gossips the job. */
async function openStore(values: Values, signer: LocalAccount | undefined, c: ChainClient): Promise<{ store: ContentStore; p2p?: P2PNode; close: () => Promise<void> }> {
  if (values.ipfs !== undefined) {
    const { createKuboStore } = await import('../storage/kubo.ts');
    const store = createKuboStore({ url: values.ipfs });
    await store.start();
    return { store, close: () => store.stop() };
  }
  const directory = values['store-dir'] ?? path.join('.veritrain', 'submitter-ipfs');
  const bootstrap = values.bootstrap ?? [];
  const { createHeliaStore } = await import('../storage/helia.ts');
  if (bootstrap.length === 0) {
    const store = createHeliaStore({ directory });
    await store.start();
    return { store, close: () => store.stop() };
  }
  const { createP2PNode } = await import('../p2p/node.ts');
  const node = createP2PNode({ account: signer ?? privateKeyToAccount(generatePrivateKey()), chainId: c.chainId, market: c.deployment.contracts.JobMarket.address, directory, bootstrap });
  await node.start();
  const store = createHeliaStore({ directory, libp2p: node.libp2p });
  await store.start();
  return { store, p2p: node, close: async () => { await store.stop(); await node.stop(); } };
}

async function tokenUnits(c: ChainClient, token: Address, amount: string | undefined, name: string): Promise<bigint> {
  if (amount === undefined) throw new UsageError(`--${name} is required`);
  const decimals = await c.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'decimals' });
  try {
    return parseUnits(amount, decimals);
  } catch {
    throw new UsageError(`--${name} must be a decimal amount of tokens`);
  }
}

async function readSpec(file: string | undefined): Promise<JobSpecInput> {
  if (file === undefined) throw new UsageError('expected a spec file');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JobSpecInput;
  } catch (err) {
    throw new UsageError(`cannot read the spec ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function cmdPost(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const signer = await account(values, true);
  const c = await client(values, signer, signal);
  const onProgress = progressPrinter(values.quiet === true);
  const input = await readSpec(positionals[1]);
  const token = (values.token ?? c.deployment.paymentTokens[0]) as Address | undefined;
  if (token === undefined || !isAddress(token)) throw new UsageError('--token must be an address');
  const payment = await tokenUnits(c, token, values.payment, 'payment');
  const stake = await tokenUnits(c, c.deployment.stakeToken, values.stake, 'stake');
  const { store, p2p, close } = await openStore(values, signer, c);
  try {
    let spec: JobSpecInput = input;
    if (values.dataset !== undefined) {
      const probe = completeSpec({ ...input, data: { ...input.data } });
      const mnist = values.dataset === 'mnist' ? await import('../data/mnist.ts') : undefined;
      const records = mnist !== undefined ? mnist.splitMnist(mnist.loadMnist(), 1000).train.records : new Uint8Array(await readFile(values.dataset));
      const size = mnist !== undefined ? mnist.MNIST_RECORD_BYTES : recordBytes(probe);
      const dataset = await createDataset(store, { records, recordBytes: size, signal, onProgress });
      spec = { ...input, data: { ...input.data, root: dataset.root, cid: dataset.cid, recordCount: dataset.recordCount } };
    }
    const { graphRoot: _ignored, ...withoutRoot } = spec;
    const complete = completeSpec(withoutRoot);
    if (values.mint === true) {
      const wallet = c as WalletChainClient;
      const mintAbi = [{ type: 'function', name: 'mint', stateMutability: 'nonpayable', inputs: [{ name: 'to', type: 'address' }, { name: 'amount', type: 'uint256' }], outputs: [] }] as const;
      onProgress({ phase: 'mint' });
      await wallet.sender.writeContract({ address: token, abi: mintAbi, functionName: 'mint', args: [wallet.signer.address, payment], signal });
    }
    const posted = await postJob(c, {
      spec: complete, store, payment, solverStake: stake, token, signal, onProgress,
      claimWindow: int(values['claim-window'], 'claim-window'), trainingDuration: int(values['training-duration'], 'training-duration'),
      challengeWindow: int(values['challenge-window'], 'challenge-window'), announce: p2p,
    });
    if (values.json === true) stdout(json({ ...posted, spec: complete }));
    else {
      stdout(`posted job ${posted.jobId}`);
      stdout(`  spec      ${posted.specCid} (specHash ${posted.specHash})`);
      stdout(`  dataset   ${complete.data.cid} (${complete.data.recordCount} records, root ${complete.data.root})`);
      stdout(`  payment   ${values.payment ?? ''} tokens escrowed in tx ${posted.txHash}`);
      stdout(`  claim by  ${new Date(posted.claimDeadline * 1000).toISOString()}`);
      if (posted.announcedTo !== undefined) stdout(`  gossiped  to ${posted.announcedTo} peer(s)`);
    }
  } finally {
    await close();
  }
}

async function cmdStatus(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const c = await client(values, undefined, signal);
  const job = await getJob(c, { jobId: jobIdArg(positionals), signal });
  if (values.json === true) { const { events: _e, ...rest } = job; stdout(json(rest)); return; }
  const t = (s: number): string => (s === 0 ? '-' : new Date(s * 1000).toISOString());
  const derived = job.finalizable ? ' (finalizable now)' : job.expirable ? ' (expirable now: the solver missed its deadline)' : '';
  stdout(`job ${job.jobId}: ${job.status}${derived}`);
  stdout(`  submitter          ${job.submitter}`);
  stdout(`  solver             ${/^0x0+$/.test(job.solver) ? '-' : job.solver}`);
  stdout(`  spec               ${job.specCid}`);
  stdout(`  payment / stake    ${formatUnits(job.payment, 18)} / ${formatUnits(job.solverStake, 18)} (token ${job.token})`);
  stdout(`  claim deadline     ${t(job.claimDeadline)}`);
  stdout(`  training deadline  ${t(job.trainingDeadline)}`);
  stdout(`  challenge deadline ${t(job.challengeDeadline)}`);
  stdout(`  checkpoints        ${job.checkpoints.length}/${job.checkpointCount + 1}`);
  for (const cp of job.checkpoints) stdout(`    #${cp.index} ${cp.stateRoot} ${cp.cid}`);
  stdout(`  disputes           ${job.disputes.open} open, ${job.disputes.opened} opened`);
}

async function cmdWatch(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const c = await client(values, undefined, signal);
  const jobId = jobIdArg(positionals);
  const from = values['from-block'];
  if (values.quiet !== true) process.stderr.write(`[watch] job ${jobId} on chain ${c.chainId}; Ctrl-C to stop\n`);
  for await (const event of watchJob(c, { jobId, signal, ...(from === undefined ? {} : { fromBlock: BigInt(from) }), confirmations: int(values.confirmations, 'confirmations') })) {
    if (values.json === true) stdout(JSON.stringify({ ...event, summary: describeJobEvent(event) }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    else stdout(`block ${event.blockNumber}: ${describeJobEvent(event)}`);
  }
}

async function cmdCancel(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const signer = await account(values, true);
  const c = await client(values, signer, signal);
  const result = await cancelJob(c, { jobId: jobIdArg(positionals), withdraw: values['no-withdraw'] !== true, signal, onProgress: progressPrinter(values.quiet === true) });
  if (values.json === true) stdout(json(result));
  else stdout(`cancelled job ${positionals[1] ?? ''} in tx ${result.txHash}${result.withdrawTxHash === undefined ? '' : `; withdrew ${formatUnits(result.withdrawn, 18)} tokens in tx ${result.withdrawTxHash}`}`);
}

async function cmdDownload(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const out = values.out;
  if (out === undefined) throw new UsageError('--out <dir> is required');
  const c = await client(values, undefined, signal);
  const { store, close } = await openStore(values, await account(values, false), c);
  try {
    const { downloadModel } = await import('../submitter/model.ts');
    const result = await downloadModel(c, { jobId: jobIdArg(positionals), store, directory: out, requireFinalized: values['require-finalized'] === true, signal, onProgress: progressPrinter(values.quiet === true) });
    const summary = { jobId: result.job.jobId, status: result.job.status, finalized: result.finalized, stateRoot: result.stateRoot, cid: result.cid, files: result.files };
    if (values.json === true) stdout(json(summary));
    else {
      stdout(`job ${summary.jobId} (${summary.status}): final checkpoint ${result.cid} matches the on-chain root ${result.stateRoot}`);
      stdout(`  model written to ${result.files?.modelJson ?? ''} and ${result.files?.weights ?? ''}`);
      if (!result.finalized) stdout('  note: the job is not finalized yet; a dispute could still prove this checkpoint fraudulent');
    }
  } finally {
    await close();
  }
}

async function cmdEstimate(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const c = await client(values, undefined, signal);
  const input = await readSpec(positionals[1]);
  const { graphRoot: _ignored, ...withoutRoot } = input;
  const token = c.deployment.paymentTokens[0] ?? c.deployment.stakeToken;
  const cost = await estimateCost(c, { spec: completeSpec(withoutRoot), payment: await tokenUnits(c, token, values.payment, 'payment'), solverStake: await tokenUnits(c, c.deployment.stakeToken, values.stake, 'stake'), signal });
  if (values.json === true) { stdout(json(cost)); return; }
  stdout(`submitter: ${cost.submitter.gas} gas ≈ ${formatUnits(cost.submitter.fee, 18)} ETH, plus ${formatUnits(cost.payment, 18)} tokens escrowed`);
  stdout(`solver:    ${cost.solver.gas} gas ≈ ${formatUnits(cost.solver.fee, 18)} ETH for ${cost.solver.checkpoints} checkpoints, ${formatUnits(cost.solverStake, 18)} tokens staked`);
  stdout(`compute:   ${(cost.compute.totalFlops / 1e9).toFixed(1)} GFLOP (${cost.compute.parameters} parameters, ${(cost.compute.checkpointBytes / 2 ** 20).toFixed(2)} MiB per checkpoint)`);
}

async function cmdKeystore(values: Values, positionals: string[], signal: AbortSignal): Promise<void> {
  const [, action, file] = positionals;
  if ((action !== 'new' && action !== 'import') || file === undefined) throw new UsageError('usage: keystore new|import <file>');
  const password = await readPassword(`new password for ${file}: `);
  const result = action === 'new'
    ? await createKeystore(file, password, { signal })
    : await importKeystore(file, (process.env[values['key-env'] ?? 'VERITRAIN_PRIVATE_KEY'] ?? '') as Hex, password, { signal });
  if (values.json === true) stdout(json(result));
  else stdout(`wrote ${result.file} for ${result.address}`);
}

const COMMANDS: Record<string, (values: Values, positionals: string[], signal: AbortSignal) => Promise<void>> = {
  post: cmdPost, status: cmdStatus, watch: cmdWatch, cancel: cmdCancel, download: cmdDownload, estimate: cmdEstimate, keystore: cmdKeystore,
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (command === undefined || command === 'help') { stdout(USAGE); return command === undefined && values.help !== true ? 2 : 0; }
  const run = COMMANDS[command];
  if (run === undefined) { process.stderr.write(`error: unknown command ${command}\n\n${USAGE}\n`); return 2; }
  if (values.help === true) { stdout(HELP[command] ?? USAGE); return 0; }

  const controller = new AbortController();
  const onSigint = (): void => { controller.abort(new Error('interrupted')); };
  process.once('SIGINT', onSigint);
  const timeoutS = int(values.timeout, 'timeout') ?? (command === 'watch' ? undefined : 600);
  const signal = timeoutS === undefined ? controller.signal : AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutS * 1000)]);
  try {
    await run(values, positionals, signal);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) { process.stderr.write(`error: ${err.message}\n\nRun 'veritrain-submit ${command} --help'.\n`); return 2; }
    if (signal.aborted) { process.stderr.write(`stopped: ${signal.reason instanceof Error ? signal.reason.message : 'timed out'}\n`); return 130; }
    if (err instanceof VeritrainError) {
      if (values.json === true) process.stderr.write(`${json({ error: { name: err.name, code: err.code, message: err.message } })}\n`);
      else process.stderr.write(`error: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

process.exitCode = await main(process.argv.slice(2));
