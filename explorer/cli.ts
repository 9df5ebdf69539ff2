#!/usr/bin/env node
/**
 * `veritrain-explorer`: a web page that shows a deployment's jobs, loss curves, verification and
 * disputes as they happen, from the chain's events and views and the content store only (no
 * private database, no key). docs/EXPLORER.md is the guide.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createChainClient } from '../sdk/chain/client.ts';
import { EXIT, isMain, main, stringOption, UsageError, type Command, type CommandContext, type EnvHelp } from '../sdk/daemon/cli.ts';
import { loadMnist, splitMnist } from '../sdk/data/mnist.ts';
import { ChainError, ConfigError } from '../sdk/errors.ts';
import { createJsonLogger, type LogLevel } from '../sdk/log.ts';
import { createP2PNode, type P2PNode } from '../sdk/p2p/node.ts';
import { createHeliaStore } from '../sdk/storage/helia.ts';
import { createKuboStore } from '../sdk/storage/kubo.ts';
import type { ContentStore } from '../sdk/storage/types.ts';
import { createIndexer } from './indexer.ts';
import { serveExplorer } from './server.ts';

const PROGRAM = 'veritrain-explorer';

/** Every option with the variable that sets it when the option is absent. */
const OPTIONS = {
  rpc: { env: 'VERITRAIN_RPC_URL', value: '<url>', description: 'JSON-RPC endpoint of the chain' },
  deployment: { env: 'VERITRAIN_DEPLOYMENT_FILE', value: '<file>', description: 'the deployment file (default: <VERITRAIN_DEPLOYMENTS>/<chainId>.json)' },
  host: { env: 'VERITRAIN_EXPLORER_HOST', value: '<host>', description: 'address to listen on (default 127.0.0.1)' },
  port: { env: 'VERITRAIN_EXPLORER_PORT', value: '<port>', description: 'port to listen on; 0 picks a free one (default 8080)' },
  kubo: { env: 'VERITRAIN_KUBO_URL', value: '<url>', description: 'read content through a Kubo RPC API' },
  bootstrap: { env: 'VERITRAIN_BOOTSTRAP', value: '<addr,…>', description: 'libp2p peers to fetch content from over bitswap (an embedded Helia node)' },
  'data-dir': { env: 'VERITRAIN_DATA_DIR', value: '<dir>', description: "the embedded node's block cache (default: a temporary directory, removed on exit)" },
  validation: {
    env: 'VERITRAIN_EXPLORER_VALIDATION',
    value: '<source>',
    description: 'held-out split for the validation loss: mnist:<n> (the last n digits of the mnist package, as the devnet holds out) or a file of records',
  },
  'loss-records': { env: 'VERITRAIN_EXPLORER_LOSS_RECORDS', value: '<n>', description: 'training records the training loss is computed on (default 1000)' },
  reports: {
    env: 'VERITRAIN_EXPLORER_REPORTS',
    value: '<file|url,…>',
    description: "verifiers' published reports (JSON lines of `veritrain-verifier report --json`)",
  },
  label: { env: 'VERITRAIN_EXPLORER_LABELS', value: '<addr=name,…>', description: 'names to show for addresses' },
  'poll-ms': { env: 'VERITRAIN_POLL_MS', value: '<ms>', description: 'how often the chain is polled for a new block (default 1000)' },
  'log-level': { env: 'VERITRAIN_LOG_LEVEL', value: '<level>', description: 'debug, info, warn or error (default info)' },
} as const;
type OptionName = keyof typeof OPTIONS;

const setting = (ctx: CommandContext, name: OptionName): string | undefined => {
  const v = stringOption(ctx, name) ?? ctx.env[OPTIONS[name].env];
  return v === undefined || v === '' ? undefined : v;
};
const integer = (ctx: CommandContext, name: OptionName, fallback: number, min: number): number => {
  const v = setting(ctx, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} (${OPTIONS[name].env}) must be an integer >= ${min}, got ${v}`);
  return n;
};
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The held-out records of `--validation`. */
async function loadValidation(source: string | undefined): Promise<{ name: string; records: Uint8Array } | undefined> {
  if (source === undefined) return undefined;
  const mnist = /^mnist:(\d+)$/.exec(source);
  if (mnist !== null) {
    const { test } = splitMnist(loadMnist(), Number(mnist[1]));
    return { name: `the last ${test.count} digits of the mnist package`, records: test.records };
  }
  try {
    const records = new Uint8Array(await readFile(source));
    return { name: `${path.basename(source)} (${records.length} bytes)`, records };
  } catch (err) {
    throw new ConfigError(`--validation ${source}: neither mnist:<n> nor a readable file of records`, { cause: err });
  }
}

const serve: Command = {
  name: 'serve',
  summary: 'serve the explorer page for a deployment and keep it live',
  description:
    'Reads only the chain (events and views) and the content store; never needs a key. Without --kubo or --bootstrap it shows the chain alone (no op names, no losses).',
  options: Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => [name, { type: 'string', value: o.value, description: `${o.description} [${o.env}]` }]),
  ),
  async run(ctx) {
    const rpcUrl = setting(ctx, 'rpc');
    if (rpcUrl === undefined) throw new UsageError(`no chain: pass --rpc <url> or set ${OPTIONS.rpc.env}`);
    const level = (setting(ctx, 'log-level') ?? 'info') as LogLevel;
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got ${level}`);
    const logger = createJsonLogger({
      level,
      write: (line) => {
        ctx.err(line);
      },
    });
    const port = integer(ctx, 'port', 8080, 0);
    const pollMs = integer(ctx, 'poll-ms', 1_000, 50);
    const lossRecords = integer(ctx, 'loss-records', 1_000, 1);
    const labels = new Map<string, string>();
    for (const pair of list(setting(ctx, 'label'))) {
      const [address, name] = pair.split('=');
      if (address === undefined || name === undefined || !/^0x[0-9a-fA-F]{40}$/.test(address))
        throw new UsageError(`--label takes address=name pairs, got ${pair}`);
      labels.set(address.toLowerCase(), name);
    }
    const validation = await loadValidation(setting(ctx, 'validation'));

    let client;
    try {
      client = await createChainClient({
        rpcUrl,
        deploymentFile: setting(ctx, 'deployment'),
        pollingIntervalMs: pollMs,
        retry: { attempts: 3 },
        signal: ctx.signal,
      });
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ChainError('CHAIN_RPC_FAILED', `cannot reach the chain at ${rpcUrl}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, {
        cause: err,
      });
    }

    const market = client.deployment.contracts.JobMarket.address;
    const code = await client.publicClient.getCode({ address: market });
    if (code === undefined || code === '0x')
      throw new ConfigError(`no contract at the deployment's JobMarket ${market} on chain ${client.chainId}: the deployment file is not this chain's`, {
        details: { market, chainId: client.chainId },
      });

    // Content: a Kubo node, or an embedded Helia node on its own libp2p peer. Its identity is a
    // fresh throwaway key made here (gossip needs one to sign with); it holds nothing and sends no transaction.
    const kubo = setting(ctx, 'kubo');
    const bootstrap = list(setting(ctx, 'bootstrap'));
    let p2p: P2PNode | undefined;
    let store: ContentStore | undefined;
    let tempDir: string | undefined;
    if (kubo !== undefined) store = createKuboStore({ url: kubo });
    else if (bootstrap.length > 0) {
      const dir = setting(ctx, 'data-dir') ?? (tempDir = await mkdtemp(path.join(tmpdir(), 'veritrain-explorer-')));
      p2p = createP2PNode({
        account: privateKeyToAccount(generatePrivateKey()),
        chainId: client.chainId,
        market: client.deployment.contracts.JobMarket.address,
        directory: path.join(dir, 'p2p'),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap,
        logger,
      });
      await p2p.start();
      store = createHeliaStore({ directory: path.join(dir, 'ipfs'), libp2p: p2p.libp2p, logger });
    }
    await store?.start();

    const indexer = createIndexer({
      client,
      store,
      validation,
      lossRecords,
      reports: list(setting(ctx, 'reports')),
      labels,
      logger,
      pollMs,
    });
    let server;
    try {
      await indexer.start();
      server = await serveExplorer({ indexer, host: setting(ctx, 'host') ?? '127.0.0.1', port });
      logger.info('explorer listening', {
        url: server.url,
        chainId: client.chainId,
        market: client.deployment.contracts.JobMarket.address,
        content: kubo !== undefined ? 'kubo' : store === undefined ? 'none' : 'helia',
      });
      ctx.out(`${PROGRAM}: ${server.url} (chain ${client.chainId}, market ${client.deployment.contracts.JobMarket.address})`);
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
    } finally {
      await server?.close();
      await indexer.stop();
      await store?.stop().catch(() => undefined);
      await p2p?.stop().catch(() => undefined);
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    }
    return EXIT.OK;
  },
};

export const ENVIRONMENT: readonly EnvHelp[] = [
  ...Object.entries(OPTIONS).map(([name, o]) => ({ name: o.env, description: `--${name}` })),
  { name: 'VERITRAIN_DEPLOYMENTS', description: 'directory of <chainId>.json deployment files' },
];

export const COMMANDS: readonly Command[] = [serve];

if (isMain(import.meta.url)) {
  await main({
    program: PROGRAM,
    summary: 'Veritrain explorer: jobs, loss curves, verification and disputes of a deployment, live, in a web page. Guide: docs/EXPLORER.md.',
    commands: COMMANDS,
    environment: ENVIRONMENT,
    epilog: `example:\n  ${PROGRAM} serve --rpc http://127.0.0.1:8545 --deployment deployments/31337.json --port 0`,
  });
}
