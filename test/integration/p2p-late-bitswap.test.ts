/**
 * Bitswap between two peers that connected before one of them started its IPFS store. The solver
 * and verifier daemons start their libp2p node first and Helia on it afterwards, so a peer may
 * connect in between; identify-push tells it about the bitswap protocol registered later.
 * Without it, the peer never fetches from this one (found by the devnet: every checkpoint fetch
 * timed out and fell back to the states protocol).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { BOOTSTRAP_REDIAL_MS, createHeliaStore, createP2PNode, loadOrCreatePeerKey, silentLogger, type HeliaStore, type P2PNode } from '../../sdk/index.ts';
import { freePort } from '../../scripts/devnet/anvil.ts';

const market = '0x00000000000000000000000000000000000000aa';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

async function peer(dir: string, bootstrap: string[]): Promise<{ node: P2PNode; addr: string; listen: string }> {
  const key = await loadOrCreatePeerKey(dir);
  const listen = `/ip4/127.0.0.1/tcp/${await freePort()}`;
  const node = createP2PNode({
    account: privateKeyToAccount(generatePrivateKey()),
    chainId: 31337,
    market,
    directory: dir,
    listen: [listen],
    bootstrap,
    logger: silentLogger,
  });
  return { node, listen, addr: `${listen}/p2p/${key.publicKey.toString()}` };
}

describe('bitswap between peers that started at different times', () => {
  it('fetches content from a peer whose store started after the connection was made', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'veritrain-late-bitswap-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const a = await peer(path.join(root, 'a'), []);
    const b = await peer(path.join(root, 'b'), [a.addr]);
    await a.node.start();
    cleanups.push(() => a.node.stop());
    const storeA: HeliaStore = createHeliaStore({ directory: path.join(root, 'a', 'ipfs'), libp2p: a.node.libp2p });
    await storeA.start();
    cleanups.push(() => storeA.stop());
    // B connects now, and only afterwards registers bitswap (starts its store).
    await b.node.start();
    cleanups.push(() => b.node.stop());
    for (let i = 0; i < 100 && a.node.peers().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(a.node.peers().length, 1, 'connected');
    await new Promise((r) => setTimeout(r, 500));
    const storeB: HeliaStore = createHeliaStore({ directory: path.join(root, 'b', 'ipfs'), libp2p: b.node.libp2p });
    await storeB.start();
    cleanups.push(() => storeB.stop());
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    const cid = await storeB.put(bytes);
    let n = 0;
    for await (const chunk of storeA.get(cid, { maxBytes: 1_000_000, signal: AbortSignal.timeout(10_000) })) n += chunk.length;
    assert.equal(n, bytes.length);
  });

  it('connects a bootstrap peer that started after it, and fetches a checkpoint-sized block from it', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'veritrain-late-peer-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const late = await peer(path.join(root, 'late'), []);
    const early = await peer(path.join(root, 'early'), [late.addr]);
    // The early node's one bootstrap dial fails: nobody listens there yet.
    await early.node.start();
    cleanups.push(() => early.node.stop());
    const storeEarly = createHeliaStore({ directory: path.join(root, 'early', 'ipfs'), libp2p: early.node.libp2p });
    await storeEarly.start();
    cleanups.push(() => storeEarly.stop());
    await new Promise((r) => setTimeout(r, 500));
    await late.node.start();
    cleanups.push(() => late.node.stop());
    const storeLate = createHeliaStore({ directory: path.join(root, 'late', 'ipfs'), libp2p: late.node.libp2p });
    await storeLate.start();
    cleanups.push(() => storeLate.stop());
    // A LeNet checkpoint is one 445 KB raw block.
    const bytes = new Uint8Array(445_000).map((_, i) => (i * 7) % 253);
    const cid = await storeLate.put(bytes);
    let n = 0;
    for await (const chunk of storeEarly.get(cid, { maxBytes: 1_000_000, signal: AbortSignal.timeout(3 * BOOTSTRAP_REDIAL_MS) })) n += chunk.length;
    assert.equal(n, bytes.length);
  });
});
