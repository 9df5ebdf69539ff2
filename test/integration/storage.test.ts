/**
 * Storage: the ContentStore suite against the embedded Helia store (and Kubo when
 * VERITRAIN_KUBO_URL is set), then Helia peers as separate processes on loopback: a checkpoint
 * added on one is fetched over bitswap by another and verified against its state root, and pinned
 * content survives a restart.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { createHeliaStore, createKuboStore } from '../../sdk/index.ts';
import { killAllPeers, PeerCallError, spawnPeer, tempDir, testKey, type TestPeer } from './helpers/spawn.ts';
import { contentStoreSuite } from './helpers/store-suite.ts';

const dirs: string[] = [];
after(async () => {
  killAllPeers();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const heliaDir = await tempDir('store');
dirs.push(heliaDir);
contentStoreSuite('embedded Helia', async () => {
  const store = createHeliaStore({ directory: heliaDir });
  await store.start();
  return store;
});

// VERITRAIN_KUBO_API: the former name, so a CI that still sets it keeps running the Kubo suite.
const kuboApi = process.env.VERITRAIN_KUBO_URL ?? process.env.VERITRAIN_KUBO_API;
if (kuboApi !== undefined && kuboApi !== '') {
  contentStoreSuite(`Kubo at ${kuboApi}`, async () => {
    const store = createKuboStore({ url: kuboApi });
    await store.start();
    return store;
  });
} else {
  it('ContentStore (Kubo): runs when VERITRAIN_KUBO_URL names a Kubo RPC API', { skip: 'VERITRAIN_KUBO_URL is not set' }, () => undefined);
}

const chain = { chainId: 31337, market: '0x00000000000000000000000000000000000000aa' as const };

describe('Helia peers in separate processes', () => {
  let a: TestPeer;
  let b: TestPeer;
  let checkpoint: { cid: string; stateRoot: string };

  it('a checkpoint added on one peer is fetched over bitswap by another and verified', async () => {
    const dirA = await tempDir('peer-a');
    const dirB = await tempDir('peer-b');
    dirs.push(dirA, dirB);
    a = await spawnPeer({ name: 'a', directory: dirA, key: testKey(0), ...chain });
    b = await spawnPeer({ name: 'b', directory: dirB, key: testKey(1), bootstrap: a.addrs, ...chain });
    checkpoint = await a.call('putState', { seed: 42, bytes: 8 * 1024 * 1024 });
    const got = await b.call<{ tensors: number; bytes: number }>('fetchState', { cid: checkpoint.cid, root: checkpoint.stateRoot, timeoutMs: 30_000 }, 40_000);
    assert.equal(got.tensors, 2);
    assert.ok(got.bytes > 8 * 1024 * 1024 - 65_536);
  });

  it('rejects the checkpoint against a wrong root, an oversized fetch and an unknown CID', async () => {
    const wrongRoot = `0x${'00'.repeat(32)}`;
    await assert.rejects(
      b.call('fetchState', { cid: checkpoint.cid, root: wrongRoot, timeoutMs: 10_000 }),
      (e: unknown) => e instanceof PeerCallError && e.remote.code === 'CONTENT_INVALID',
    );
    await assert.rejects(
      b.call('fetchState', { cid: checkpoint.cid, root: checkpoint.stateRoot, timeoutMs: 10_000, maxBytes: 1024 * 1024 }),
      (e: unknown) => e instanceof PeerCallError && e.remote.code === 'CONTENT_TOO_LARGE',
    );
    // Nobody has this content: the fetch gives up at its deadline instead of hanging.
    const unknown = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
    const t0 = performance.now();
    await assert.rejects(
      b.call('getBytes', { cid: unknown, maxBytes: 1024, timeoutMs: 1500 }),
      (e: unknown) => e instanceof PeerCallError && e.remote.code === 'CONTENT_UNAVAILABLE',
    );
    assert.ok(performance.now() - t0 < 10_000);
    assert.ok(a.alive() && b.alive());
  });

  it('a restarted peer keeps what it pinned, with its source gone', async () => {
    await b.call('pin', { cid: checkpoint.cid });
    assert.deepEqual(await b.call('isPinned', { cid: checkpoint.cid }), { pinned: true });
    const peerId = b.peerId;
    await b.stop();
    await a.stop();
    b = await spawnPeer({ name: 'b2', directory: b.directory, key: testKey(1), ...chain });
    assert.equal(b.peerId, peerId, 'the peer id survives the restart');
    assert.deepEqual(await b.call('isPinned', { cid: checkpoint.cid }), { pinned: true });
    assert.deepEqual(await b.call('has', { cid: checkpoint.cid }), { has: true });
    const got = await b.call<{ tensors: number }>('fetchState', { cid: checkpoint.cid, root: checkpoint.stateRoot, timeoutMs: 10_000, offline: true });
    assert.equal(got.tensors, 2);
    await b.stop();
  });
});
