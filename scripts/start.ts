#!/usr/bin/env node
/**
 * `npm start`: the whole marketplace on one machine, end to end (scripts/devnet/story.ts tells it).
 * Starts Anvil, deploys, runs an embedded IPFS + libp2p node, and a submitter, two solvers (one
 * honest, one cheating) and a verifier as separate processes; narrates every chain event and the
 * roles' key log lines; ends with a summary whose last line is one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isHex, type Hex } from 'viem';
import { REPO_ROOT } from './devnet/anvil.ts';
import { CONV_FRAUD_KINDS, defaultRunDir, FRAUD_KINDS, runStory, STORY_DEFAULTS, STORY_MODELS, type FraudKind, type StoryModel } from './devnet/story.ts';

const USAGE = `usage: npm start -- [options]

Runs the whole Veritrain marketplace on this machine and tells its story: a submitter posts two
real MNIST jobs, solver A trains one honestly, solver B cheats on the other, a verifier catches B,
wins the dispute down to one element of one op, B is slashed, A is paid, and the submitter
measures its model's held-out accuracy. Last line: {"story":"done",…}. The explorer
(veritrain-explorer) shows it all live in a browser: its URL is printed when it starts.

options:
  --model <mlp|cnn>       the jobs' models: MLPs (spec v1, SGD-momentum; default) or CNNs (spec
                          v2: a LeNet-style network and a one-conv one, AdamW, warmup + cosine;
                          about 5 minutes on 2 cores)
  --fraud <kind>          how solver B cheats: ${FRAUD_KINDS.join(', ')}; with --model cnn also
                          ${CONV_FRAUD_KINDS.join(', ')} (default: mlp ${STORY_DEFAULTS.mlp.fraud}, cnn ${STORY_DEFAULTS.cnn.fraud})
  --fraud-interval <i>    the checkpoint interval B fakes (default 1)
  --steps <n>             training steps per job (default: mlp ${STORY_DEFAULTS.mlp.steps}, cnn ${STORY_DEFAULTS.cnn.steps}; a multiple of --interval)
  --interval <k>          steps per checkpoint interval (default: mlp ${STORY_DEFAULTS.mlp.interval}, cnn ${STORY_DEFAULTS.cnn.interval})
  --window <s>            challenge window of the jobs, seconds (default 45)
  --timeout <s>           give up after this long (default: mlp ${STORY_DEFAULTS.mlp.timeout}, cnn ${STORY_DEFAULTS.cnn.timeout})
  --run-dir <dir>         where this run's files go (default .veritrain/run-<time>/)
  --stay                  after the summary, keep the chain and the explorer up until Ctrl-C
scale-out (the same processes, pointed elsewhere):
  --rpc <url>             an external EVM JSON-RPC instead of a local Anvil; deploys with
                          DEPLOYER_PRIVATE_KEY unless --deployment is given
  --deployment <file>     an existing deployment (deployments/<chainId>.json) on that chain
  --kubo <url>            a Kubo RPC API (e.g. http://127.0.0.1:5001) for the submitter's and the
                          verifier's content; every peer dials Kubo's swarm addresses
  --bootstrap <addr,…>    remote libp2p peers (multiaddrs with /p2p/<id>) every process dials
  -h, --help              this text

keys (external chains; default: the development accounts of Anvil's mnemonic, never printed):
  DEPLOYER_PRIVATE_KEY, VERITRAIN_SUBMITTER_KEY, VERITRAIN_SOLVER_A_KEY, VERITRAIN_SOLVER_B_KEY,
  VERITRAIN_VERIFIER_KEY

Ctrl-C stops every process, the IPFS node and the chain, and exits with 130.`;

function fail(message: string, code = 2): never {
  console.error(`error: ${message}`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      model: { type: 'string', default: 'mlp' },
      fraud: { type: 'string' },
      'fraud-interval': { type: 'string', default: '1' },
      steps: { type: 'string' },
      interval: { type: 'string' },
      window: { type: 'string', default: '45' },
      timeout: { type: 'string' },
      'run-dir': { type: 'string' },
      stay: { type: 'boolean', default: false },
      rpc: { type: 'string' },
      deployment: { type: 'string' },
      kubo: { type: 'string' },
      bootstrap: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
} catch (err) {
  fail(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
}
const args = parsed.values;
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const int = (name: string, value: string, min: number): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got ${value}`);
  return n;
};
if (!(STORY_MODELS as readonly string[]).includes(args.model)) fail(`--model must be one of ${STORY_MODELS.join(', ')}`);
const model = args.model as StoryModel;
const defaults = STORY_DEFAULTS[model];
const frauds: readonly string[] = model === 'cnn' ? [...FRAUD_KINDS, ...CONV_FRAUD_KINDS] : FRAUD_KINDS;
const fraud = args.fraud ?? defaults.fraud;
if (!frauds.includes(fraud)) fail(`--fraud must be one of ${frauds.join(', ')} with --model ${model}`);
const key = (name: string): Hex | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!isHex(v) || v.length !== 66) fail(`${name} must be 0x and 64 hex digits`);
  return v;
};
if (args.rpc !== undefined && args.deployment === undefined && key('DEPLOYER_PRIVATE_KEY') === undefined) {
  fail('--rpc needs DEPLOYER_PRIVATE_KEY (to deploy) or --deployment <file> (an existing deployment)');
}

// The contracts are compiled once (from a fresh clone this takes a couple of minutes); afterwards
// `hardhat build` sees nothing changed and returns in about a second.
if (args.deployment === undefined) {
  const fresh = !existsSync(path.join(REPO_ROOT, 'artifacts', 'contracts', 'JobMarket.sol'));
  if (fresh) console.log('compiling the contracts (first run only: about 2 minutes on 2 cores)…');
  const built = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'hardhat'), ['build', '--quiet'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (built.status !== 0) fail('compiling the contracts failed', 1);
}

const controller = new AbortController();
let signals = 0;
const onSignal = (name: string) => (): void => {
  signals++;
  if (signals > 1) {
    console.error(`\n${name} again: exiting now`);
    process.exit(130);
  }
  console.error(`\n${name}: stopping every process, the IPFS node and the chain (again to force)…`);
  controller.abort(new DOMException(name, 'AbortError'));
};
process.on('SIGINT', onSignal('SIGINT'));
process.on('SIGTERM', onSignal('SIGTERM'));

try {
  const summary = await runStory({
    runDir: path.resolve(args['run-dir'] ?? defaultRunDir(REPO_ROOT)),
    rpcUrl: args.rpc,
    deploymentFile: args.deployment === undefined ? undefined : path.resolve(args.deployment),
    kuboUrl: args.kubo,
    bootstrap: args.bootstrap
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    keys: {
      deployer: key('DEPLOYER_PRIVATE_KEY'),
      submitter: key('VERITRAIN_SUBMITTER_KEY'),
      honest: key('VERITRAIN_SOLVER_A_KEY'),
      cheater: key('VERITRAIN_SOLVER_B_KEY'),
      verifier: key('VERITRAIN_VERIFIER_KEY'),
    },
    model,
    fraud: fraud as FraudKind,
    fraudInterval: int('fraud-interval', args['fraud-interval'], 0),
    steps: int('steps', args.steps ?? String(defaults.steps), 2),
    checkpointInterval: int('interval', args.interval ?? String(defaults.interval), 2),
    challengeWindow: int('window', args.window, 1),
    timeoutMs: int('timeout', args.timeout ?? String(defaults.timeout), 10) * 1000,
    print: (line) => {
      console.log(line);
    },
    beforeStop: args.stay
      ? async () => {
          console.log('--stay: the chain and the explorer keep running; Ctrl-C to stop');
          await new Promise<void>((resolve) => {
            controller.signal.addEventListener(
              'abort',
              () => {
                resolve();
              },
              { once: true },
            );
          });
        }
      : undefined,
    signal: controller.signal,
  });
  console.log(JSON.stringify(summary));
  process.exitCode = summary.cheater_slashed > 0 && summary.honest_paid > 0 ? 0 : 1;
} catch (err) {
  if (controller.signal.aborted) {
    console.error('stopped.');
    process.exitCode = 130;
  } else {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    console.log(JSON.stringify({ story: 'failed', error: err instanceof Error ? err.message.split('\n')[0] : String(err) }));
    process.exitCode = 1;
  }
}
