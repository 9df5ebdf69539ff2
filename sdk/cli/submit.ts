#!/usr/bin/env node
/**
 * veritrain-submit: the submitter CLI over the SDK (docs/SDK.md), on the CLI kit every Veritrain
 * binary shares (sdk/daemon/cli.ts: help layout, errors, exit codes) and the same variables as the
 * daemons (VERITRAIN_RPC_URL, VERITRAIN_DEPLOYMENT_FILE, VERITRAIN_KEYSTORE, VERITRAIN_KUBO_URL, …).
 *
 *   veritrain-submit dataset --csv data.csv --label y | --npy x.npy --labels y.npy | --images dir [--out records.bin] [--upload]
 *   veritrain-submit post <spec.json> --dataset <file|mnist> --payment 100 --stake 10
 *   veritrain-submit status <jobId> | watch <jobId> | cancel <jobId> | download <jobId> --out ./model
 *   veritrain-submit estimate <spec.json> --payment 100 --stake 10
 *   veritrain-submit key create <file> | key import <file> | key address [file]
 *
 * Results go to stdout (human text, or JSON with --json); progress lines go to stderr.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Address, Hex, LocalAccount } from 'viem';
import { bytesToHex, erc20Abi, formatUnits, isAddress, isHex, parseUnits } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
// Narrow imports; the IPFS node, libp2p, the MNIST data and the dataset builders load only in the commands that use them.
import { createChainClient, type ChainClient, type WalletChainClient } from '../chain/client.ts';
import { accountFromEnv, unlockKeystore } from '../chain/keystore.ts';
import { EXIT, isMain, main, stringOption, UsageError, type Command, type CommandContext, type EnvHelp, type OptionSpec } from '../daemon/cli.ts';
import { DAEMON_ENV, KUBO_URL_ENV, readEnv } from '../daemon/config.ts';
import { createKeyFile, importKeyFile, KEY_ENV, KEY_ENV_HELP, keystoreAddress, loadAccount, readPassword } from '../daemon/keys.ts';
import { completeSpec } from '../graph/complete.ts';
import { isFeatureEncoding, isLabelEncoding, type RecordSet } from '../data/record-set.ts';
import { DatasetError } from '../errors.ts';
import { cidOfSpecHash, recordBytes, type JobSpecInput } from '../spec/job-spec.ts';
import { modelPlan } from '../spec/model.ts';
import type { P2PNode } from '../p2p/node.ts';
import type { ContentStore } from '../storage/types.ts';
import { createDataset } from '../submitter/dataset.ts';
import { cancelJob, describeJobEvent, getJob, watchJob } from '../submitter/job.ts';
import { estimateCost, postJob } from '../submitter/post.ts';
import type { Progress } from '../submitter/progress.ts';

const PROGRAM = 'veritrain-submit';
const DEFAULT_RPC_URL = 'http://127.0.0.1:8545';

/** The shared variables this CLI reads (same names as the daemons'). */
const ENV = {
  rpcUrl: binding('chain.rpcUrl'),
  deploymentFile: binding('chain.deploymentFile'),
  keystore: binding('key.keystore'),
  kuboUrl: KUBO_URL_ENV,
} as const;

function binding(configPath: string): { readonly name: string; readonly deprecated: readonly string[] } {
  const b = DAEMON_ENV.find((e) => e.path === configPath);
  if (b === undefined) throw new Error(`no variable for ${configPath}`);
  return { name: b.name, deprecated: b.deprecated ?? [] };
}

// Option groups: each command takes the ones it uses, and its --help lists exactly those.
const chainOptions: Record<string, OptionSpec> = {
  rpc: { type: 'string', value: '<url>', description: `JSON-RPC endpoint (or ${ENV.rpcUrl.name}; default ${DEFAULT_RPC_URL})` },
  deployment: { type: 'string', value: '<file>', description: `deployment file (or ${ENV.deploymentFile.name}; default: deployments/<chainId>.json)` },
  confirmations: { type: 'string', value: '<n>', description: 'blocks a transaction needs before it counts (default 1)' },
};
const signerOptions: Record<string, OptionSpec> = {
  keystore: {
    type: 'string',
    value: '<file>',
    description: `sign with an encrypted keystore (or ${ENV.keystore.name}; password: ${KEY_ENV.password}, ${KEY_ENV.passwordFile} or a prompt)`,
  },
  'key-env': { type: 'string', value: '<VAR>', description: `sign with the private key in this variable (default ${KEY_ENV.privateKey})` },
};
const storeOptions: Record<string, OptionSpec> = {
  ipfs: { type: 'string', value: '<url>', description: `use a Kubo node's RPC API instead of the embedded IPFS node (or ${ENV.kuboUrl.name})` },
  'store-dir': { type: 'string', value: '<dir>', description: 'embedded IPFS node directory (default .veritrain/submitter-ipfs)' },
  bootstrap: { type: 'string', multiple: true, value: '<multiaddr>', description: 'put the embedded node online, connected to this peer (repeatable)' },
};
const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'machine-readable output on stdout (errors as one JSON line on stderr)' },
};
const quietOption: Record<string, OptionSpec> = { quiet: { type: 'boolean', description: 'no progress lines' } };
const timeoutOption = (fallback: string): Record<string, OptionSpec> => ({
  timeout: { type: 'string', value: '<seconds>', description: `give up after this long (default: ${fallback})` },
});
const amountOptions: Record<string, OptionSpec> = {
  payment: { type: 'string', value: '<tokens>', description: 'escrowed payment, in whole tokens (decimals read from the token)' },
  stake: { type: 'string', value: '<tokens>', description: 'stake the solver must lock' },
};

const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

function progressPrinter(ctx: CommandContext): (p: Progress) => void {
  const quiet = ctx.values.quiet === true;
  const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
  return (p) => {
    if (quiet) return;
    const amount = p.total !== undefined && p.done !== undefined ? (p.total > 4096 ? ` ${mib(p.done)}/${mib(p.total)} MiB` : ` ${p.done}/${p.total}`) : '';
    ctx.err(`[${p.phase}]${amount}${p.ref === undefined ? '' : ` ${p.ref}`}`);
  };
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

function jobIdArg(ctx: CommandContext): bigint {
  const raw = ctx.positionals[0];
  if (raw === undefined || !/^\d+$/.test(raw)) throw new UsageError('expected a job id (a positive integer)');
  return BigInt(raw);
}

/** A shared variable, by its name or a deprecated one (with a warning). */
function envOf(ctx: CommandContext, v: { readonly name: string; readonly deprecated: readonly string[] }): string | undefined {
  const warnings: string[] = [];
  const found = readEnv(ctx.env, v.name, v.deprecated, warnings);
  for (const w of warnings) ctx.warn(w);
  return found === undefined || found.value === '' ? undefined : found.value;
}

const prompt = (ctx: CommandContext) => (process.stdin.isTTY ? { input: process.stdin, output: ctx.stderr } : undefined);

/**
 * The signer: `--keystore` when given; otherwise the raw key in `--key-env` (default
 * VERITRAIN_PRIVATE_KEY) or, without one, the keystore in VERITRAIN_KEYSTORE: the daemons' order.
 */
async function account(ctx: CommandContext, required: boolean): Promise<LocalAccount | undefined> {
  const flag = stringOption(ctx, 'keystore');
  if (flag !== undefined)
    return unlockKeystore(flag, await readPassword({ env: ctx.env, prompt: prompt(ctx), signal: ctx.signal }, `password for ${flag}: `), {
      signal: ctx.signal,
    });
  const keyVar = stringOption(ctx, 'key-env') ?? KEY_ENV.privateKey;
  const keystore = envOf(ctx, ENV.keystore);
  if (!required && (ctx.env[keyVar] ?? '') === '' && keystore === undefined) return undefined;
  if (stringOption(ctx, 'key-env') !== undefined && (ctx.env[keyVar] ?? '') === '') return accountFromEnv(keyVar, ctx.env);
  return loadAccount({ keystore, privateKeyEnv: keyVar, env: ctx.env, prompt: prompt(ctx), signal: ctx.signal });
}

async function client(ctx: CommandContext, signer: LocalAccount | undefined, signal: AbortSignal): Promise<ChainClient> {
  const rpcUrl = stringOption(ctx, 'rpc') ?? envOf(ctx, ENV.rpcUrl) ?? DEFAULT_RPC_URL;
  return createChainClient({
    rpcUrl,
    signer,
    deploymentFile: stringOption(ctx, 'deployment') ?? envOf(ctx, ENV.deploymentFile),
    signal,
    confirmations: int(stringOption(ctx, 'confirmations'), 'confirmations'),
  });
}

const DEFAULT_STORE_DIR = path.join('.veritrain', 'submitter-ipfs');

/** The content store without libp2p: the Kubo node at `kubo` (--ipfs), else the embedded node at --store-dir, offline. */
async function openLocalStore(ctx: CommandContext, kubo: string | undefined): Promise<{ store: ContentStore; close: () => Promise<void> }> {
  const store =
    kubo !== undefined
      ? (await import('../storage/kubo.ts')).createKuboStore({ url: kubo })
      : (await import('../storage/helia.ts')).createHeliaStore({ directory: stringOption(ctx, 'store-dir') ?? DEFAULT_STORE_DIR });
  await store.start();
  return { store, close: () => store.stop() };
}

/** The content store, and the libp2p node when the store is online (--bootstrap), which also gossips the job. */
async function openStore(
  ctx: CommandContext,
  signer: LocalAccount | undefined,
  c: ChainClient,
): Promise<{ store: ContentStore; p2p?: P2PNode; close: () => Promise<void> }> {
  const kubo = stringOption(ctx, 'ipfs') ?? envOf(ctx, ENV.kuboUrl);
  const bootstrap = (ctx.values.bootstrap as string[] | undefined) ?? [];
  if (kubo !== undefined || bootstrap.length === 0) return openLocalStore(ctx, kubo);
  const directory = stringOption(ctx, 'store-dir') ?? DEFAULT_STORE_DIR;
  const { createHeliaStore } = await import('../storage/helia.ts');
  const { createP2PNode } = await import('../p2p/node.ts');
  const node = createP2PNode({
    account: signer ?? privateKeyToAccount(generatePrivateKey()),
    chainId: c.chainId,
    market: c.deployment.contracts.JobMarket.address,
    directory,
    bootstrap,
  });
  await node.start();
  const store = createHeliaStore({ directory, libp2p: node.libp2p });
  await store.start();
  return {
    store,
    p2p: node,
    close: async () => {
      await store.stop();
      await node.stop();
    },
  };
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

/**
 * Runs `body` under the command's `--timeout` (seconds; `fallback` when not given, none when
 * undefined). A timeout is a failure (exit 1), not an interruption.
 */
async function withTimeout(ctx: CommandContext, fallback: number | undefined, body: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const seconds = int(stringOption(ctx, 'timeout'), 'timeout') ?? fallback;
  if (seconds === undefined) {
    await body(ctx.signal);
    return EXIT.OK;
  }
  const timer = AbortSignal.timeout(seconds * 1000);
  try {
    await body(AbortSignal.any([ctx.signal, timer]));
  } catch (err) {
    if (timer.aborted && !ctx.signal.aborted) throw new Error(`timed out after ${seconds} s (raise --timeout)`, { cause: err });
    throw err;
  }
  return EXIT.OK;
}

const ZERO_ROOT: Hex = `0x${'00'.repeat(32)}`;

async function readDatasetFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw new UsageError(`cannot read the dataset ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `--name`, one of `allowed`, or undefined. */
function choice<T extends string>(ctx: CommandContext, name: string, is: (v: string) => v is T, allowed: string): T | undefined {
  const v = stringOption(ctx, name);
  if (v === undefined) return undefined;
  if (!is(v)) throw new UsageError(`--${name} must be ${allowed}, got '${v}'`);
  return v;
}

/** The records of the one source given: --csv, --npy with --labels, or --images. */
async function buildRecords(ctx: CommandContext): Promise<{ set: RecordSet; source: string }> {
  const sources = (['csv', 'npy', 'images'] as const).filter((k) => stringOption(ctx, k) !== undefined);
  const kind = sources[0];
  if (kind === undefined || sources.length > 1) throw new UsageError('give one source: --csv <file>, --npy <X.npy> --labels <Y.npy>, or --images <dir>');
  const featureEncoding = choice(ctx, 'encoding', isFeatureEncoding, 'u8-unit or f32');
  const labelEncoding = choice(ctx, 'label-encoding', isLabelEncoding, 'class-u8 or f32');
  const only = (names: readonly string[]): void => {
    for (const n of names)
      if (ctx.values[n] !== undefined)
        throw new UsageError(`--${n} goes with --${n === 'labels' ? 'npy' : n === 'drop-alpha' ? 'images' : 'csv'}, not --${kind}`);
  };
  const source = stringOption(ctx, kind) as string;
  if (kind === 'csv') {
    only(['labels', 'drop-alpha']);
    const labels = (ctx.values.label as string[] | undefined) ?? [];
    if (labels.length === 0) throw new UsageError('--csv needs --label <column> (a header name or a 0-based index)');
    const header = stringOption(ctx, 'header') ?? 'auto';
    if (!['auto', 'yes', 'no'].includes(header)) throw new UsageError(`--header must be auto, yes or no, got '${header}'`);
    const delimiter = stringOption(ctx, 'delimiter');
    const { csvRecords } = await import('../data/csv.ts');
    const text = await readDatasetFile(source);
    const set = csvRecords(new TextDecoder().decode(text), {
      label: labels.map((l) => (/^\d+$/.test(l) ? Number(l) : l)),
      header: header === 'auto' ? undefined : header === 'yes',
      delimiter: delimiter === 'tab' ? '\t' : delimiter,
      featureEncoding,
      labelEncoding,
      labelNames: ctx.values['label-names'] === true,
      source,
    });
    return { set, source };
  }
  only(['label', 'header', 'delimiter', 'label-names', ...(kind === 'npy' ? ['drop-alpha'] : ['labels'])]);
  if (kind === 'npy') {
    const labels = stringOption(ctx, 'labels');
    if (labels === undefined) throw new UsageError('--npy needs --labels <Y.npy>');
    const { npyRecords } = await import('../data/npy.ts');
    const set = npyRecords(await readDatasetFile(source), await readDatasetFile(labels), {
      featureEncoding,
      labelEncoding,
      featuresSource: source,
      labelsSource: labels,
    });
    return { set, source: `${source} + ${labels}` };
  }
  if (labelEncoding !== undefined && labelEncoding !== 'class-u8') throw new UsageError('image folders have class-u8 labels (the folder names)');
  const folder = await stat(source).catch((err: unknown) => {
    throw new UsageError(`cannot read the image folder ${source}: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (!folder.isDirectory()) throw new UsageError(`--images wants a folder; ${source} is a file`);
  const { imageFolderRecords } = await import('../data/images.ts');
  const quiet = ctx.values.quiet === true;
  const set = await imageFolderRecords(source, {
    featureEncoding,
    dropAlpha: ctx.values['drop-alpha'] === true,
    signal: ctx.signal,
    // About ten lines for a folder of any size.
    onProgress: ({ done = 0, total = 0 }) => {
      if (!quiet && (done === total || done % Math.max(1, Math.ceil(total / 10)) === 0)) ctx.err(`[decode-images] ${done}/${total}`);
    },
  });
  return { set, source };
}

async function cmdDataset(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const seedOption = stringOption(ctx, 'seed');
  if (seedOption !== undefined && !(isHex(seedOption) && seedOption.length === 66)) throw new UsageError('--seed must be 32 bytes as 0x-prefixed hex');
  const seed = (seedOption?.toLowerCase() as Hex | undefined) ?? bytesToHex(randomBytes(32));
  const out = stringOption(ctx, 'out') ?? 'records.bin';
  const { set, source } = await buildRecords(ctx);
  await writeFile(out, set.records);
  if (ctx.values.quiet !== true) ctx.err(`[dataset] ${set.recordCount} records of ${set.recordBytes} bytes from ${source} written to ${out}`);
  let cid: string | undefined;
  if (ctx.values.upload === true) {
    const { store, close } = await openLocalStore(ctx, stringOption(ctx, 'ipfs') ?? envOf(ctx, ENV.kuboUrl));
    try {
      cid = (await createDataset(store, { records: set.records, recordBytes: set.recordBytes, signal, onProgress: progressPrinter(ctx) })).cid;
    } finally {
      await close();
    }
  }
  ctx.out(
    json({
      file: out,
      bytes: set.records.length,
      recordBytes: set.recordBytes,
      model: { input: set.input },
      outputs: set.outputs,
      ...(set.classes === undefined ? {} : { classes: set.classes }),
      data: {
        root: set.root,
        ...(cid === undefined ? {} : { cid }),
        recordCount: set.recordCount,
        featureEncoding: set.featureEncoding,
        labelEncoding: set.labelEncoding,
        seed,
      },
    }),
  );
}

async function cmdPost(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const signer = await account(ctx, true);
  const c = await client(ctx, signer, signal);
  const onProgress = progressPrinter(ctx);
  const input = await readSpec(ctx.positionals[0]);
  const token = (stringOption(ctx, 'token') ?? c.deployment.paymentTokens[0]) as Address | undefined;
  if (token === undefined || !isAddress(token)) throw new UsageError('--token must be an address');
  const payment = await tokenUnits(c, token, stringOption(ctx, 'payment'), 'payment');
  const stake = await tokenUnits(c, c.deployment.stakeToken, stringOption(ctx, 'stake'), 'stake');
  const { store, p2p, close } = await openStore(ctx, signer, c);
  try {
    let spec: JobSpecInput = input;
    const datasetFile = stringOption(ctx, 'dataset');
    if (datasetFile !== undefined) {
      // data.root, cid and recordCount come from the file: the spec may leave them out (as `dataset` prints it).
      const probe = completeSpec({ ...input, data: { ...input.data, root: ZERO_ROOT, cid: cidOfSpecHash(ZERO_ROOT), recordCount: 1 } });
      const mnist = datasetFile === 'mnist' ? await import('../data/mnist.ts') : undefined;
      const records = mnist !== undefined ? mnist.splitMnist(mnist.loadMnist(), 1000).train.records : await readDatasetFile(datasetFile);
      const size = mnist !== undefined ? mnist.MNIST_RECORD_BYTES : recordBytes(probe);
      if (records.length === 0 || records.length % size !== 0) {
        const input = modelPlan(probe.model).input;
        throw new DatasetError(
          `${datasetFile} holds ${records.length} bytes, not a whole number of the ${size}-byte records this spec reads (input [${input.join(', ')}] as ${probe.data.featureEncoding}, then a ${probe.data.labelEncoding} label): check model and data against what \`${PROGRAM} dataset\` printed`,
          { bytes: records.length, recordBytes: size },
        );
      }
      const dataset = await createDataset(store, { records, recordBytes: size, signal, onProgress });
      spec = { ...input, data: { ...input.data, root: dataset.root, cid: dataset.cid, recordCount: dataset.recordCount } };
    }
    const { graphRoot: _ignored, ...withoutRoot } = spec;
    const complete = completeSpec(withoutRoot);
    if (ctx.values.mint === true) {
      const wallet = c as WalletChainClient;
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
      onProgress({ phase: 'mint' });
      await wallet.sender.writeContract({ address: token, abi: mintAbi, functionName: 'mint', args: [wallet.signer.address, payment], signal });
    }
    const posted = await postJob(c, {
      spec: complete,
      store,
      payment,
      solverStake: stake,
      token,
      signal,
      onProgress,
      claimWindow: int(stringOption(ctx, 'claim-window'), 'claim-window'),
      trainingDuration: int(stringOption(ctx, 'training-duration'), 'training-duration'),
      challengeWindow: int(stringOption(ctx, 'challenge-window'), 'challenge-window'),
      announce: p2p,
    });
    if (ctx.values.json === true) ctx.out(json({ ...posted, spec: complete }));
    else {
      ctx.out(`posted job ${posted.jobId}`);
      ctx.out(`  spec      ${posted.specCid} (specHash ${posted.specHash})`);
      ctx.out(`  dataset   ${complete.data.cid} (${complete.data.recordCount} records, root ${complete.data.root})`);
      ctx.out(`  payment   ${stringOption(ctx, 'payment') ?? ''} tokens escrowed in tx ${posted.txHash}`);
      ctx.out(`  claim by  ${new Date(posted.claimDeadline * 1000).toISOString()}`);
      if (posted.announcedTo !== undefined) ctx.out(`  gossiped  to ${posted.announcedTo} peer(s)`);
    }
  } finally {
    await close();
  }
}

async function cmdStatus(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const c = await client(ctx, undefined, signal);
  const job = await getJob(c, { jobId: jobIdArg(ctx), signal });
  if (ctx.values.json === true) {
    const { events: _e, ...rest } = job;
    ctx.out(json(rest));
    return;
  }
  const t = (s: number): string => (s === 0 ? '-' : new Date(s * 1000).toISOString());
  const derived = job.finalizable ? ' (finalizable now)' : job.expirable ? ' (expirable now: the solver missed its deadline)' : '';
  ctx.out(`job ${job.jobId}: ${job.status}${derived}`);
  ctx.out(`  submitter          ${job.submitter}`);
  ctx.out(`  solver             ${/^0x0+$/.test(job.solver) ? '-' : job.solver}`);
  ctx.out(`  spec               ${job.specCid}`);
  ctx.out(`  payment / stake    ${formatUnits(job.payment, 18)} / ${formatUnits(job.solverStake, 18)} (token ${job.token})`);
  ctx.out(`  claim deadline     ${t(job.claimDeadline)}`);
  ctx.out(`  training deadline  ${t(job.trainingDeadline)}`);
  ctx.out(`  challenge deadline ${t(job.challengeDeadline)}`);
  ctx.out(`  checkpoints        ${job.checkpoints.length}/${job.checkpointCount + 1}`);
  for (const cp of job.checkpoints) ctx.out(`    #${cp.index} ${cp.stateRoot} ${cp.cid}`);
  ctx.out(`  disputes           ${job.disputes.open} open, ${job.disputes.opened} opened`);
}

async function cmdWatch(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const c = await client(ctx, undefined, signal);
  const jobId = jobIdArg(ctx);
  const from = stringOption(ctx, 'from-block');
  if (from !== undefined && !/^\d+$/.test(from)) throw new UsageError('--from-block must be a block number');
  if (ctx.values.quiet !== true) ctx.err(`[watch] job ${jobId} on chain ${c.chainId}; Ctrl-C to stop`);
  for await (const event of watchJob(c, {
    jobId,
    signal,
    ...(from === undefined ? {} : { fromBlock: BigInt(from) }),
    confirmations: int(stringOption(ctx, 'confirmations'), 'confirmations'),
  })) {
    if (ctx.values.json === true)
      ctx.out(JSON.stringify({ ...event, summary: describeJobEvent(event) }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    else ctx.out(`block ${event.blockNumber}: ${describeJobEvent(event)}`);
  }
}

async function cmdCancel(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const signer = await account(ctx, true);
  const c = await client(ctx, signer, signal);
  const result = await cancelJob(c, { jobId: jobIdArg(ctx), withdraw: ctx.values['no-withdraw'] !== true, signal, onProgress: progressPrinter(ctx) });
  if (ctx.values.json === true) ctx.out(json(result));
  else
    ctx.out(
      `cancelled job ${ctx.positionals[0] ?? ''} in tx ${result.txHash}${result.withdrawTxHash === undefined ? '' : `; withdrew ${formatUnits(result.withdrawn, 18)} tokens in tx ${result.withdrawTxHash}`}`,
    );
}

async function cmdDownload(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const out = stringOption(ctx, 'out');
  if (out === undefined) throw new UsageError('--out <dir> is required');
  const c = await client(ctx, undefined, signal);
  const { store, close } = await openStore(ctx, await account(ctx, false), c);
  try {
    const { downloadModel } = await import('../submitter/model.ts');
    const result = await downloadModel(c, {
      jobId: jobIdArg(ctx),
      store,
      directory: out,
      requireFinalized: ctx.values['require-finalized'] === true,
      signal,
      onProgress: progressPrinter(ctx),
    });
    const summary = {
      jobId: result.job.jobId,
      status: result.job.status,
      finalized: result.finalized,
      stateRoot: result.stateRoot,
      cid: result.cid,
      files: result.files,
    };
    if (ctx.values.json === true) ctx.out(json(summary));
    else {
      ctx.out(`job ${summary.jobId} (${summary.status}): final checkpoint ${result.cid} matches the on-chain root ${result.stateRoot}`);
      ctx.out(`  model written to ${result.files?.modelJson ?? ''} and ${result.files?.weights ?? ''}`);
      if (!result.finalized) ctx.out('  note: the job is not finalized yet; a dispute could still prove this checkpoint fraudulent');
    }
  } finally {
    await close();
  }
}

async function cmdEstimate(ctx: CommandContext, signal: AbortSignal): Promise<void> {
  const c = await client(ctx, undefined, signal);
  const input = await readSpec(ctx.positionals[0]);
  const { graphRoot: _ignored, ...withoutRoot } = input;
  const token = c.deployment.paymentTokens[0] ?? c.deployment.stakeToken;
  const cost = await estimateCost(c, {
    spec: completeSpec(withoutRoot),
    payment: await tokenUnits(c, token, stringOption(ctx, 'payment'), 'payment'),
    solverStake: await tokenUnits(c, c.deployment.stakeToken, stringOption(ctx, 'stake'), 'stake'),
    signal,
  });
  if (ctx.values.json === true) {
    ctx.out(json(cost));
    return;
  }
  ctx.out(`submitter: ${cost.submitter.gas} gas ≈ ${formatUnits(cost.submitter.fee, 18)} ETH, plus ${formatUnits(cost.payment, 18)} tokens escrowed`);
  ctx.out(
    `solver:    ${cost.solver.gas} gas ≈ ${formatUnits(cost.solver.fee, 18)} ETH for ${cost.solver.checkpoints} checkpoints, ${formatUnits(cost.solverStake, 18)} tokens staked`,
  );
  ctx.out(
    `compute:   ${(cost.compute.totalFlops / 1e9).toFixed(1)} GFLOP (${cost.compute.parameters} parameters, ${(cost.compute.checkpointBytes / 2 ** 20).toFixed(2)} MiB per checkpoint)`,
  );
}

const dataset: Command = {
  name: 'dataset',
  summary: 'build dataset records from a CSV file, NPY arrays or a folder of images per class',
  description: [
    'One source: --csv <file> --label <column> | --npy <X.npy> --labels <Y.npy> | --images <dir>.',
    'Writes the records (docs/PROTOCOL.md §2.4: features, then the label) to --out and prints, as JSON, what a spec needs:',
    'model.input (the per-record shape: [n], or [H, W, C] for images), outputs (the units of the last dense layer: the',
    'class count or the targets per record), classes (the class names, by label index), and the data block (root,',
    'recordCount, encodings, seed; cid with --upload). `post <spec.json> --dataset <records file>` uploads the file and',
    'fills data.root, cid and recordCount itself. Version-1 specs take flat records: model.layers[0] = input[0].',
    'CSV: one record per row, every column but the label a feature, decimal numbers. NPY: features (N, ...) of uint8,',
    'float32 or float64, labels (N,) of integers (classes) or floats (f32 targets), little-endian, C order.',
    'Images: <dir>/<class>/*.png|jpg|jpeg, classes numbered in sorted name order, all the same height, width and',
    'channels (grayscale 1, colour 3).',
  ].join('\n'),
  options: {
    csv: { type: 'string', value: '<file>', description: 'a CSV file, one record per row' },
    label: {
      type: 'string',
      multiple: true,
      value: '<column>',
      description: 'CSV: the label column, a header name or a 0-based index (repeat for several f32 targets)',
    },
    header: { type: 'string', value: '<auto|yes|no>', description: 'CSV: the first row names the columns (default auto: yes when it holds a non-number)' },
    delimiter: { type: 'string', value: '<char>', description: "CSV: field separator (default ','; 'tab' for tab-separated)" },
    'label-names': { type: 'boolean', description: 'CSV: labels are class names (cat, dog), numbered in sorted order' },
    npy: { type: 'string', value: '<X.npy>', description: 'an NPY features array (N, n), (N, H, W) or (N, H, W, C)' },
    labels: { type: 'string', value: '<Y.npy>', description: 'with --npy: the NPY labels (N,)' },
    images: { type: 'string', value: '<dir>', description: 'a folder of images per class: <dir>/<class>/*.png|jpg|jpeg' },
    'drop-alpha': { type: 'boolean', description: 'images: drop the alpha channel of RGBA images (otherwise they are refused)' },
    encoding: {
      type: 'string',
      value: '<u8-unit|f32>',
      description: 'feature encoding (default: u8-unit for images and uint8 arrays, f32 otherwise; bytes under f32 are v / 255)',
    },
    'label-encoding': { type: 'string', value: '<class-u8|f32>', description: 'label encoding (default class-u8; NPY float labels: f32)' },
    out: { type: 'string', value: '<file>', description: 'the records file to write (default records.bin)' },
    seed: { type: 'string', value: '<0x…>', description: 'data.seed, the 32-byte batch-selection seed (default: random)' },
    upload: { type: 'boolean', description: 'also add the records to the content store (pinned) and print data.cid' },
    ipfs: storeOptions.ipfs as OptionSpec,
    'store-dir': storeOptions['store-dir'] as OptionSpec,
    ...jsonOption,
    ...quietOption,
  },
  run: (ctx) => withTimeout(ctx, undefined, (signal) => cmdDataset(ctx, signal)),
};

const post: Command = {
  name: 'post',
  summary: 'upload the spec (and dataset) and post the job with its payment in escrow',
  args: '<spec.json>',
  positionals: 1,
  description: '<spec.json> is a job spec (docs/PROTOCOL.md §2.6, sdk/spec/example-spec.ts). A missing graphRoot is filled in.',
  options: {
    dataset: {
      type: 'string',
      value: '<file|mnist>',
      description:
        "upload this dataset (records back to back, e.g. from `dataset`) and fill data.root, data.cid, data.recordCount; 'mnist': the bundled MNIST digits (last 1000 held out)",
    },
    ...amountOptions,
    token: { type: 'string', value: '<address>', description: "payment token (default: the deployment's first)" },
    'claim-window': { type: 'string', value: '<s>', description: 'seconds until the claim deadline (default 86400)' },
    'training-duration': { type: 'string', value: '<s>', description: 'seconds from claim to the training deadline (default 86400)' },
    'challenge-window': { type: 'string', value: '<s>', description: 'seconds for disputes after submission (default: the market minimum)' },
    mint: { type: 'boolean', description: 'development chains: mint the payment with the TestToken first' },
    ...chainOptions,
    ...signerOptions,
    ...storeOptions,
    ...jsonOption,
    ...quietOption,
    ...timeoutOption('600'),
  },
  run: (ctx) => withTimeout(ctx, 600, (signal) => cmdPost(ctx, signal)),
};

const status: Command = {
  name: 'status',
  summary: 'show a job: status, deadlines, checkpoints, disputes',
  args: '<jobId>',
  positionals: 1,
  description: 'Stored status, time-derived views (finalizable, expirable), checkpoints with CIDs, disputes.',
  options: { ...chainOptions, ...jsonOption, ...timeoutOption('600') },
  run: (ctx) => withTimeout(ctx, 600, (signal) => cmdStatus(ctx, signal)),
};

const watch: Command = {
  name: 'watch',
  summary: "follow a job's events until it settles (Ctrl-C stops)",
  args: '<jobId>',
  positionals: 1,
  description: 'Prints each event of the job, past then live, and exits when it settles (Cancelled, Finalized, Expired, Slashed).',
  options: {
    'from-block': { type: 'string', value: '<n>', description: 'first block to read events from' },
    ...chainOptions,
    ...jsonOption,
    ...quietOption,
    ...timeoutOption('none'),
  },
  run: (ctx) => withTimeout(ctx, undefined, (signal) => cmdWatch(ctx, signal)),
};

const cancel: Command = {
  name: 'cancel',
  summary: 'cancel an unclaimed job and withdraw the refund',
  args: '<jobId>',
  positionals: 1,
  description: 'Cancels an Open job (submitter only) and withdraws the refunded payment unless --no-withdraw.',
  options: {
    'no-withdraw': { type: 'boolean', description: 'leave the refund credited in the market' },
    ...chainOptions,
    ...signerOptions,
    ...jsonOption,
    ...quietOption,
    ...timeoutOption('600'),
  },
  run: (ctx) => withTimeout(ctx, 600, (signal) => cmdCancel(ctx, signal)),
};

const download: Command = {
  name: 'download',
  summary: 'fetch the final checkpoint, verify it against the chain, export a tfjs model',
  args: '<jobId>',
  positionals: 1,
  description:
    'Fetches the spec and the final checkpoint from IPFS, checks the checkpoint against the state root stored on-chain, and writes a tfjs LayersModel (model.json + weights.bin) to --out.',
  options: {
    out: { type: 'string', value: '<dir>', description: 'directory to write the model to (required)' },
    'require-finalized': { type: 'boolean', description: 'refuse a job that is not finalized yet' },
    ...chainOptions,
    ...signerOptions,
    ...storeOptions,
    ...jsonOption,
    ...quietOption,
    ...timeoutOption('600'),
  },
  run: (ctx) => withTimeout(ctx, 600, (signal) => cmdDownload(ctx, signal)),
};

const estimate: Command = {
  name: 'estimate',
  summary: 'gas, fees and compute of a job',
  args: '<spec.json>',
  positionals: 1,
  description: 'Gas and fees for the submitter and the solver at the current gas price, and the training compute.',
  options: { ...amountOptions, ...chainOptions, ...jsonOption, ...timeoutOption('600') },
  run: (ctx) => withTimeout(ctx, 600, (signal) => cmdEstimate(ctx, signal)),
};

const keyCreate: Command = {
  name: 'key create',
  summary: 'create a new key in an encrypted keystore file',
  args: '<file>',
  positionals: 1,
  description: `scrypt + AES-256-GCM, mode 0600. The password comes from ${KEY_ENV.password}, ${KEY_ENV.passwordFile} or a hidden prompt. The file is never overwritten.`,
  options: jsonOption,
  async run(ctx) {
    const result = await createKeyFile(ctx.positionals[0] as string, { env: ctx.env, prompt: prompt(ctx), signal: ctx.signal });
    ctx.out(ctx.values.json === true ? json(result) : `created ${result.file} for ${result.address}`);
    return EXIT.OK;
  },
};

const keyImport: Command = {
  name: 'key import',
  summary: `import a private key (from ${KEY_ENV.privateKey}, --key-env or a hidden prompt) into an encrypted keystore file`,
  args: '<file>',
  positionals: 1,
  options: { 'key-env': signerOptions['key-env'] as OptionSpec, ...jsonOption },
  async run(ctx) {
    const result = await importKeyFile(ctx.positionals[0] as string, {
      env: ctx.env,
      privateKeyEnv: stringOption(ctx, 'key-env'),
      prompt: prompt(ctx),
      signal: ctx.signal,
    });
    ctx.out(ctx.values.json === true ? json(result) : `imported ${result.address} into ${result.file}`);
    return EXIT.OK;
  },
};

const keyAddress: Command = {
  name: 'key address',
  summary: `print the address of a keystore file (default: ${ENV.keystore.name})`,
  args: '[file]',
  positionals: [0, 1],
  async run(ctx) {
    const file = ctx.positionals[0] ?? envOf(ctx, ENV.keystore);
    if (file === undefined) throw new UsageError(`no keystore: pass a file or set ${ENV.keystore.name}`);
    ctx.out(await keystoreAddress(file, ctx.signal));
    return EXIT.OK;
  },
};

/** `keystore new|import <file>`, the former names of `key create|import`: still run, with a warning. */
const deprecatedAlias = (name: string, target: Command): Command => ({
  ...target,
  name,
  summary: `deprecated: \`${target.name}\``,
  hidden: true,
  run(ctx) {
    ctx.warn(`\`${name}\` is deprecated: use \`${PROGRAM} ${target.name}\``);
    return target.run(ctx);
  },
});

export const COMMANDS: readonly Command[] = [
  dataset,
  post,
  status,
  watch,
  cancel,
  download,
  estimate,
  keyCreate,
  keyImport,
  keyAddress,
  deprecatedAlias('keystore new', keyCreate),
  deprecatedAlias('keystore import', keyImport),
];

/** Every variable the CLI reads, for `--help`. */
export const ENVIRONMENT: readonly EnvHelp[] = [
  { name: ENV.rpcUrl.name, description: `JSON-RPC endpoint (--rpc wins; default ${DEFAULT_RPC_URL})` },
  { name: ENV.deploymentFile.name, description: 'deployment file (--deployment wins)' },
  { name: 'VERITRAIN_DEPLOYMENTS', description: 'directory of <chainId>.json deployment files' },
  { name: ENV.keystore.name, description: `encrypted keystore to sign with (--keystore wins; ${KEY_ENV.privateKey} overrides it)` },
  { name: ENV.kuboUrl.name, description: 'Kubo RPC API instead of the embedded IPFS node (--ipfs wins)' },
  ...KEY_ENV_HELP.map((e) =>
    e.name === KEY_ENV.privateKey ? { ...e, description: 'raw private key (development only; --key-env names another variable)' } : e,
  ),
];

if (isMain(import.meta.url)) {
  await main({
    program: PROGRAM,
    summary: 'Veritrain submitter: post training jobs, follow them, download the verified model. Guide: docs/SDK.md.',
    commands: COMMANDS,
    environment: ENVIRONMENT,
  });
}
