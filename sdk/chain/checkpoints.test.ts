import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { bytesToHex, encodeAbiParameters, encodeEventTopics, keccak256, numberToHex, stringToBytes, type Hex, type PublicClient } from 'viem';
import { jobMarketAbi } from '../abi/index.ts';
import { ChainError } from '../errors.ts';
import { checkpointProof, EMPTY_CHECKPOINT_CHAIN, linkCheckpoint, readCheckpointChain } from './checkpoints.ts';

const MARKET = '0x00000000000000000000000000000000000000aa';
const JOB = 7n;
const root = (i: number): Hex => keccak256(stringToBytes(`root ${i}`));
const cidBytes = async (i: number): Promise<Hex> => bytesToHex(CID.createV1(0x55, await sha256.digest(stringToBytes(`content ${i}`))).bytes);

interface Commit {
  index: number;
  stateRoot: Hex;
  cid: Hex;
}

/** A public client that answers as a node holding `logs` for job 7 and `head`/`committed` in the market (a unit-test double). */
function fakeNode(logs: readonly Commit[], head: Hex, committed: number): PublicClient {
  const rpcLogs = logs.map((c, i) => ({
    topics: encodeEventTopics({ abi: jobMarketAbi, eventName: 'CheckpointCommitted', args: { jobId: JOB } }),
    data: encodeAbiParameters([{ type: 'uint32' }, { type: 'bytes32' }, { type: 'bytes' }], [c.index, c.stateRoot, c.cid]),
    blockNumber: numberToHex(10 + i),
    transactionHash: keccak256(numberToHex(i)),
    logIndex: '0x0',
  }));
  const client = {
    getBlockNumber: () => Promise.resolve(100n),
    readContract: (p: { functionName: string; blockNumber?: bigint }) => {
      assert.equal(p.functionName, 'checkpointChain');
      assert.equal(p.blockNumber, 100n, 'the head is read at the block the logs are read to');
      return Promise.resolve([head, committed]);
    },
    request: () => Promise.resolve(rpcLogs),
  };
  return client as unknown as PublicClient;
}

async function commits(n: number): Promise<Commit[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => ({ index: i, stateRoot: root(i), cid: await cidBytes(i) })));
}
const headOf = (cs: readonly Commit[]): Hex => cs.reduce((h, c) => linkCheckpoint(h, c.index, c.stateRoot), EMPTY_CHECKPOINT_CHAIN);

describe('checkpoint chain', () => {
  it('reads the roots and CIDs from the logs when they fold to the stored head, and proves an interval', async () => {
    const cs = await commits(4);
    const chain = await readCheckpointChain({ publicClient: fakeNode(cs, headOf(cs), 4), market: MARKET }, JOB);
    assert.deepEqual(
      chain.checkpoints.map((c) => c.stateRoot),
      cs.map((c) => c.stateRoot),
    );
    assert.equal(chain.checkpoints[2]?.cid, CID.decode(Buffer.from((cs[2] as Commit).cid.slice(2), 'hex')).toString());
    const proof = checkpointProof(chain, 1);
    assert.equal(proof.prefix, linkCheckpoint(EMPTY_CHECKPOINT_CHAIN, 0, root(0)));
    assert.deepEqual(proof.roots, [root(1), root(2), root(3)]);
    assert.throws(() => checkpointProof(chain, 3), /interval 3 is not committed: the chain holds 4 checkpoints/);
  });

  it('rejects logs that do not add up to the head: one missing, one changed', async () => {
    const cs = await commits(3);
    const missing = fakeNode(cs.slice(0, 2), headOf(cs), 3);
    await assert.rejects(
      readCheckpointChain({ publicClient: missing, market: MARKET }, JOB),
      (err: unknown) => err instanceof ChainError && err.code === 'CHAIN_MISMATCH' && /hold 2 checkpoints that do not add up to the 3/.test(err.message),
    );
    const changed = fakeNode([cs[0] as Commit, { ...(cs[1] as Commit), stateRoot: root(9) }, cs[2] as Commit], headOf(cs), 3);
    await assert.rejects(
      readCheckpointChain({ publicClient: changed, market: MARKET }, JOB),
      (err: unknown) => err instanceof ChainError && err.code === 'CHAIN_MISMATCH',
    );
  });

  it('reads bytes that are no CID as content withheld, not as an error', async () => {
    const cs = await commits(2);
    cs[1] = { ...(cs[1] as Commit), cid: '0x01' };
    const chain = await readCheckpointChain({ publicClient: fakeNode(cs, headOf(cs), 2), market: MARKET }, JOB);
    assert.equal(chain.checkpoints[1]?.cid, undefined);
    assert.equal(chain.checkpoints[1]?.stateRoot, root(1));
  });
});
