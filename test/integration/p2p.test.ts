/**
 * p2p: four peers and a misbehaving one, each a separate process on loopback. Gossip reaches every
 * peer; the states protocol serves a step range that the client checks; malformed and oversized
 * gossip and requests are dropped, the sender's score falls, and the node keeps serving.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { encodeState, sha256Hex, signEnvelope, topicOf } from '../../sdk/index.ts';
import { privateKeyToAccount } from 'viem/accounts';
import { killAllPeers, PeerCallError, spawnPeer, tempDir, testKey, type TestPeer } from './helpers/spawn.ts';
import { makeState } from './helpers/states.ts';

const chain = { chainId: 31337, market: '0x00000000000000000000000000000000000000aa' as const };
const JOBS = topicOf(chain.chainId, chain.market, 'jobs');
const CHECKPOINTS = topicOf(chain.chainId, chain.market, 'checkpoints');
const STATE_BYTES = 256 * 1024;
const CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
const dirs: string[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('p2p peers in separate processes', () => {
  let hub: TestPeer;
  let peers: TestPeer[];
  let bad: TestPeer;

  before(async () => {
    const dir = async (n: string): Promise<string> => {
      const d = await tempDir(n);
      dirs.push(d);
      return d;
    };
    hub = await spawnPeer({ name: 'hub', directory: await dir('hub'), key: testKey(0), stateBytes: STATE_BYTES, ...chain });
    peers = await Promise.all(
      [1, 2, 3].map(async (i) => spawnPeer({ name: `p${i}`, directory: await dir(`p${i}`), key: testKey(i), bootstrap: hub.addrs, ...chain })),
    );
    bad = await spawnPeer({ name: 'bad', directory: await dir('bad'), key: testKey(9), bootstrap: hub.addrs, ...chain });
    // Every peer has joined both topics of the hub, and the hub's mesh has had a heartbeat.
    await waitFor(
      'subscriptions',
      async () => {
        const counts = await Promise.all([JOBS, CHECKPOINTS].map((topic) => hub.call<{ count: number }>('subscribers', { topic })));
        const leaves = await Promise.all(peers.map((p) => p.call<{ count: number }>('subscribers', { topic: JOBS })));
        return counts.every((c) => c.count >= 4) && leaves.every((c) => c.count >= 1);
      },
      15_000,
    );
    await sleep(1500);
  });

  after(async () => {
    killAllPeers();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a job announcement and a checkpoint reach every peer, signed by their senders', async () => {
    const job = { market: chain.market, jobId: '7', specHash: `0x${'ab'.repeat(32)}`, specCid: CID, datasetCid: CID };
    await hub.call('publishJob', { body: job });
    for (const p of peers) {
      const e = await p.waitForEvent((ev) => ev.event === 'job', 10_000);
      const m = e.message as { body: typeof job; from: string; peer: string };
      assert.deepEqual(m.body, job);
      assert.equal(m.from, hub.address);
      assert.equal(m.peer, hub.peerId);
    }
    // From a leaf: it travels through the hub to the other leaves.
    const ckpt = { market: chain.market, jobId: '7', index: 3, stateRoot: `0x${'cd'.repeat(32)}`, cid: CID };
    const [sender, ...others] = peers as [TestPeer, ...TestPeer[]];
    await sender.call('publishCheckpoint', { body: ckpt });
    for (const p of [hub, ...others]) {
      const e = await p.waitForEvent((ev) => ev.event === 'checkpoint', 10_000);
      assert.equal((e.message as { from: string }).from, sender.address);
    }
  });

  it('the states protocol serves a step range, each item checked and signed by the solver', async () => {
    const p = peers[0] as TestPeer;
    const request = { market: chain.market, jobId: '7', fromStep: 10, toStep: 13, want: 'states' };
    const { items } = await p.call<{ items: { step: number; size: number; sha256: string; from: string }[] }>('requestStates', {
      peer: hub.addrs[0],
      request,
      timeoutMs: 20_000,
    });
    assert.deepEqual(
      items.map((i) => i.step),
      [10, 11, 12, 13],
    );
    for (const item of items) {
      const expected = encodeState(makeState(item.step, STATE_BYTES));
      assert.equal(item.size, expected.byteLength);
      assert.equal(item.sha256, sha256Hex(expected));
      assert.equal(item.from, hub.address);
    }
    // Over the server's bound on steps: refused, not served.
    await assert.rejects(
      p.call('requestStates', { peer: hub.addrs[0], request: { ...request, toStep: 10 + 5000 }, timeoutMs: 10_000, limits: { maxSteps: 100_000 } }),
      (e: unknown) => e instanceof PeerCallError && e.remote.code === 'PEER_FAILED' && /at most 1024 steps/.test(e.remote.message),
    );
    // Over the client's bound on an item: the client stops reading.
    await assert.rejects(
      p.call('requestStates', { peer: hub.addrs[0], request, timeoutMs: 10_000, limits: { maxItemBytes: 1000 } }),
      (e: unknown) => e instanceof PeerCallError && e.remote.code === 'MESSAGE_INVALID',
    );
  });

  it('garbage and oversized gossip is dropped, its sender scored down, and the node keeps running', async () => {
    const scoreBefore = (await hub.call<{ score: number }>('score', { peerId: bad.peerId })).score;
    // Not JSON; JSON of the wrong shape; a valid envelope with a forged `from`; a message claiming another peer; too large.
    const account = privateKeyToAccount(testKey(9));
    const body = { market: chain.market, jobId: '8', specHash: `0x${'ab'.repeat(32)}`, specCid: CID, datasetCid: CID };
    const signed = await signEnvelope({ type: 'job', body, chainId: chain.chainId, peer: bad.peerId, ts: Date.now(), account });
    const forged = Buffer.from(JSON.stringify({ ...signed.envelope, from: hub.address })).toString('hex');
    const otherPeer = await signEnvelope({ type: 'job', body, chainId: chain.chainId, peer: hub.peerId, ts: Date.now(), account });
    const junk = [
      { hex: Buffer.from('\x00\x01garbage').toString('hex') },
      { hex: Buffer.from(JSON.stringify({ v: 1, type: 'job', body: {} })).toString('hex') },
      { hex: forged },
      { hex: Buffer.from(otherPeer.bytes).toString('hex') },
      { size: 64 * 1024 },
    ];
    for (const j of junk) await bad.call('publishRaw', { topic: JOBS, ...j });
    assert.ok(scoreBefore >= 0);
    await waitFor('the hub to score the sender below zero', async () => (await hub.call<{ score: number }>('score', { peerId: bad.peerId })).score < 0, 10_000);
    assert.equal(hub.stderr.filter((l) => l.includes('gossip dropped')).length, junk.length, hub.stderr.slice(-10).join('\n'));
    // Bigger than a gossipsub frame may be: the hub ends that stream, and carries on.
    await bad.call('publishRaw', { topic: JOBS, size: 2 * 1024 * 1024 }).catch(() => undefined);
    // None of it was delivered anywhere.
    await sleep(500);
    for (const p of [hub, ...peers])
      assert.equal(p.events.filter((e) => e.event === 'job' && (e.message as { body: { jobId: string } }).body.jobId === '8').length, 0);
    // The honest message from the same sender's key still goes through a healthy peer.
    const honest = peers[1] as TestPeer;
    await honest.call('publishJob', { body: { ...body, jobId: '9' } });
    await hub.waitForEvent((e) => e.event === 'job' && (e.message as { body: { jobId: string } }).body.jobId === '9', 10_000);
    assert.ok(hub.alive());
  });

  it('a malformed or oversized states request is dropped and the server keeps serving', async () => {
    const hubAddr = hub.addrs[0] as string;
    const notJson = await bad.call<{ answered: number }>('rawStates', { peer: hubAddr, hex: Buffer.from('hello').toString('hex') });
    assert.equal(notJson.answered, 0);
    const oversized = await bad.call<{ answered: number }>('rawStates', { peer: hubAddr, size: 100_000 });
    assert.equal(oversized.answered, 0);
    assert.ok(hub.alive());
    const p = peers[2] as TestPeer;
    const { items } = await p.call<{ items: { step: number }[] }>('requestStates', {
      peer: hubAddr,
      request: { market: chain.market, jobId: '7', fromStep: 0, toStep: 1, want: 'traces' },
      timeoutMs: 20_000,
    });
    assert.deepEqual(
      items.map((i) => i.step),
      [0, 1],
    );
  });
});
