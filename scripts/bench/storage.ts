// bench:storage: a 64 MiB checkpoint added to the embedded Helia node and fetched by a second node
// over loopback TCP (bitswap), against raw SHA-256 plus a plain disk write of the same bytes in the
// same run. Both nodes run in this process (one JS thread each way shares the CPU, as on a 2-core box).
// Prints figures as it goes and, as its last line, one JSON object.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { privateKeyToAccount } from 'viem/accounts';
import { bytesToHex } from 'viem';
import { createHeliaStore, createP2PNode, encodeState, fetchState, getBytes, stateRoot, type Tensor } from '../../sdk/index.ts';

const { values: args } = parseArgs({ options: { mib: { type: 'string', default: '64' }, help: { type: 'boolean', short: 'h', default: false } } });
if (args.help) {
  console.log(`usage: npm run bench:storage -- [--mib N]

Adds an N MiB checkpoint (default 64) to an embedded Helia node, fetches it from a second node over
loopback, and measures SHA-256 + a plain file write of the same bytes.
Last line: {"bench":"storage","add_mib_per_s":…,"fetch_mib_per_s":…,"raw_mib_per_s":…}`);
  process.exit(0);
}

const MIB = 2 ** 20;
const market = '0x00000000000000000000000000000000000000aa';

function makeState(mib: number): Tensor[] {
  const side = 1024;
  const tensors: Tensor[] = [];
  for (let k = 0; k < Math.max(1, Math.floor(mib / 4)); k++) {
    const w = new Float32Array(side * side);
    for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 0.001 + k);
    tensors.push({ shape: [side, side], data: w });
  }
  return tensors;
}

const state = makeState(Number(args.mib));
const bytes = encodeState(state);
const root = stateRoot(state);
const mib = bytes.byteLength / MIB;
console.log(`checkpoint: ${state.length} tensors, ${mib.toFixed(2)} MiB state file`);

const base = await mkdtemp(path.join(tmpdir(), 'veritrain-bench-storage-'));
const seconds = (t0: number): number => (performance.now() - t0) / 1000;
try {
  // Raw: what adding must do at least, hash the bytes and write them to disk.
  let t0 = performance.now();
  const digest = bytesToHex(createHash('sha256').update(bytes).digest());
  await writeFile(path.join(base, 'raw.bin'), bytes);
  const rawS = seconds(t0);
  console.log(`raw sha256 + write:  ${(mib / rawS).toFixed(0)} MiB/s`);

  const node = async (name: string, bootstrap: string[] = []) => {
    const directory = path.join(base, name);
    const p2p = createP2PNode({ account: privateKeyToAccount(`0x${(name === 'a' ? '11' : '22').repeat(32)}`), chainId: 31337, market, directory, bootstrap });
    await p2p.start();
    const store = createHeliaStore({ directory, libp2p: p2p.libp2p });
    await store.start();
    return { p2p, store };
  };
  const a = await node('a');
  const b = await node('b', a.p2p.multiaddrs());

  t0 = performance.now();
  const cid = await a.store.put(bytes);
  const addS = seconds(t0);
  console.log(`add (embedded Helia, fs blockstore, pinned): ${(mib / addS).toFixed(0)} MiB/s  ${cid}`);

  while (b.p2p.peers().length === 0) await new Promise((r) => setTimeout(r, 50));
  t0 = performance.now();
  const fetched = await getBytes(b.store, cid, { maxBytes: bytes.byteLength, expected: { sha256: digest }, signal: AbortSignal.timeout(300_000) });
  const fetchS = seconds(t0);
  console.log(`fetch over bitswap, loopback, SHA-256 checked: ${(mib / fetchS).toFixed(0)} MiB/s (${fetched.byteLength} bytes)`);

  t0 = performance.now();
  await fetchState(b.store, cid, root, { offline: true });
  console.log(`read back locally + decode + stateRoot check: ${(mib / seconds(t0)).toFixed(0)} MiB/s`);

  await b.store.stop();
  await b.p2p.stop();
  await a.store.stop();
  await a.p2p.stop();
  const round = (x: number): number => Math.round(x * 10) / 10;
  console.log(JSON.stringify({ bench: 'storage', add_mib_per_s: round(mib / addS), fetch_mib_per_s: round(mib / fetchS), raw_mib_per_s: round(mib / rawS) }));
} finally {
  await rm(base, { recursive: true, force: true });
}
