// veritrain-submit as a user runs it: a child process against a real Anvil chain, posting a job
// with a dataset file through its embedded IPFS node, reading it back, cancelling it, and
// refusing bad input with a clear message and exit code.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { erc20Abi, parseEther, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createChainClient, loadMnist, readJob, type ChainClient } from '../../sdk/index.ts';
import { exampleSpec } from '../../sdk/testing/index.ts';
import { startDevnetChain, type DevnetChain } from '../../scripts/devnet/chain.ts';
import { devKey } from '../../scripts/devnet/keys.ts';
import { runProgram, type ProgramResult } from './helpers/run.ts';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'sdk', 'cli', 'submit.ts');
const RECORDS = 200;

let dir: string;
let chain: DevnetChain;
let client: ChainClient;
let deploymentFile: string;
let specFile: string;
let datasetFile: string;
const submitter = privateKeyToAccount(devKey(1));

function submit(...args: string[]): Promise<ProgramResult> {
  return submitWith({ VERITRAIN_RPC_URL: chain.rpcUrl, VERITRAIN_DEPLOYMENT_FILE: deploymentFile }, ...args);
}

function submitWith(vars: Record<string, string>, ...args: string[]): Promise<ProgramResult> {
  // Only the commands that open the content store take --store-dir.
  const store = args[0] === 'post' || args[0] === 'download' ? ['--store-dir', path.join(dir, 'ipfs')] : [];
  return runProgram(CLI, [...args, ...store], { env: { ...process.env, ...vars, VERITRAIN_PRIVATE_KEY: devKey(1) } });
}

const balance = (token: Address): Promise<bigint> =>
  client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [submitter.address] });

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'veritrain-submit-cli-'));
  chain = await startDevnetChain({ runDir: dir, deployerKey: devKey(0) });
  deploymentFile = path.join(chain.deploymentsDir, `${chain.chainId}.json`);
  client = await createChainClient({ publicClient: chain.publicClient, deploymentFile });
  const { graphRoot: _g, ...spec } = exampleSpec();
  spec.model.layers = [784, 16, 10];
  spec.training = { steps: 20, checkpointInterval: 10, batchSize: 8 };
  specFile = path.join(dir, 'spec.json');
  await writeFile(specFile, JSON.stringify(spec));
  datasetFile = path.join(dir, 'records.bin');
  const mnist = loadMnist();
  await writeFile(datasetFile, mnist.records.subarray(0, RECORDS * (mnist.records.length / mnist.count)));
});

after(async () => {
  await chain.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('veritrain-submit (child process, real chain and IPFS)', () => {
  let jobId: bigint;

  it('posts a job from a spec file and a dataset file, escrowing the payment', async () => {
    const token = client.deployment.paymentTokens[0] as Address;
    const before = await balance(token);
    const r = await submit('post', specFile, '--dataset', datasetFile, '--payment', '8', '--stake', '10', '--mint', '--json', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    const posted = JSON.parse(r.stdout) as { jobId: string; specHash: string; spec: { data: { recordCount: number } } };
    jobId = BigInt(posted.jobId);
    assert.equal(posted.spec.data.recordCount, RECORDS, 'recordCount filled in from the dataset file');
    const job = await readJob(client, jobId);
    assert.equal(job.status, 'Open');
    assert.equal(job.submitter, submitter.address);
    assert.equal(job.payment, parseEther('8'));
    assert.equal(job.specHash, posted.specHash);
    assert.equal(await balance(token), before, 'minted 8, escrowed 8');
  });

  it('shows the job', async () => {
    const r = await submit('status', jobId.toString());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`job ${jobId}: Open`));
    assert.match(r.stdout, /payment \/ stake\s+8 \/ 10/);
    // The former variable names still work, with a warning naming the new one.
    const old = await submitWith({ VERITRAIN_RPC: chain.rpcUrl, VERITRAIN_DEPLOYMENT: deploymentFile }, 'status', jobId.toString(), '--json');
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stderr, /warning: VERITRAIN_RPC is deprecated: use VERITRAIN_RPC_URL/);
    assert.equal((JSON.parse(old.stdout) as { status: string }).status, 'Open');
  });

  it('cancels the unclaimed job and withdraws the refund', async () => {
    const token = client.deployment.paymentTokens[0] as Address;
    const before = await balance(token);
    const r = await submit('cancel', jobId.toString(), '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await readJob(client, jobId)).status, 'Cancelled');
    assert.equal((await balance(token)) - before, parseEther('8'));
    const again = await submit('cancel', jobId.toString(), '--quiet');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Cancelled/, 'a second cancel says why it cannot');
  });

  it('posts a job on records built by `dataset`, the spec leaving data.root, cid and recordCount to the file', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `${i / 4},${(i * 7) % 5},${-i},${i % 3}`);
    await writeFile(path.join(dir, 'd.csv'), `a,b,c,y\n${rows.join('\n')}\n`);
    const built = await submit('dataset', '--csv', path.join(dir, 'd.csv'), '--label', 'y', '--out', path.join(dir, 'csv.bin'), '--quiet');
    assert.equal(built.code, 0, built.stderr);
    const printed = JSON.parse(built.stdout) as { model: { input: number[] }; outputs: number; data: { root: string; recordCount: number } };
    const { graphRoot: _g, ...base } = exampleSpec();
    const { root: _r, cid: _c, recordCount: _n, ...data } = printed.data as Record<string, unknown>;
    const csvSpec = path.join(dir, 'csv-spec.json');
    await writeFile(csvSpec, JSON.stringify({ ...base, model: { ...base.model, layers: [printed.model.input[0], 4, printed.outputs] }, data }));
    const r = await submit('post', csvSpec, '--dataset', path.join(dir, 'csv.bin'), '--payment', '1', '--stake', '10', '--mint', '--json', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    const posted = JSON.parse(r.stdout) as { jobId: string; spec: { data: { root: string; recordCount: number } } };
    assert.equal(posted.spec.data.root, printed.data.root);
    assert.equal(posted.spec.data.recordCount, 12);
    assert.equal((await readJob(client, BigInt(posted.jobId))).status, 'Open');
    // A file of another layout is refused before anything is uploaded or posted.
    const wrong = await submit('post', csvSpec, '--dataset', datasetFile, '--payment', '1', '--stake', '10', '--quiet');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /holds \d+ bytes, not a whole number of the 13-byte records this spec reads \(input \[3\] as f32, then a class-u8 label\)/);
  });

  it('refuses bad input with a message naming the problem', async () => {
    const missing = await submit('post', path.join(dir, 'nope.json'), '--payment', '1', '--stake', '10');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the spec/);
    const badSpec = path.join(dir, 'bad.json');
    const { graphRoot: _g, ...spec } = exampleSpec();
    await writeFile(badSpec, JSON.stringify({ ...spec, training: { ...spec.training, batchSize: 0 } }));
    const bad = await submit('post', badSpec, '--payment', '1', '--stake', '10', '--quiet');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /batchSize/);
    const unknown = await submit('status', '999');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /999/);
    const unknownJson = await submit('status', '999', '--json');
    assert.equal(unknownJson.code, 1);
    assert.match((JSON.parse(unknownJson.stderr) as { error: { message: string } }).error.message, /999/);
    const help = await submit('status', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: veritrain-submit status \[options\] <jobId>[\s\S]*--rpc <url>/);
    assert.doesNotMatch(help.stdout, /--store-dir/, 'a command lists only the options it takes');
    const noCommand = await submit('frobnicate');
    assert.equal(noCommand.code, 2);
    assert.match(noCommand.stderr, /unknown command `frobnicate`/);
  });
});
