/**
 * A Veritrain peer in its own process, driven by a test: commands arrive on stdin and results and
 * events leave on stdout, one JSON object per line. argv[2] is a JSON PeerConfig. Logs go to stderr.
 *
 *   in:  {"id":1,"cmd":"putState","args":{...}}
 *   out: {"id":1,"ok":true,"result":{...}} | {"id":1,"ok":false,"error":{"name","code","message"}}
 *   out: {"event":"ready","peerId":…,"addrs":[…]} | {"event":"job"|"checkpoint","message":{…}}
 */
import { createInterface } from 'node:readline';
import { lpStream } from '@libp2p/utils';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { privateKeyToAccount } from 'viem/accounts';
import type { Address, Hex } from 'viem';
import {
  createHeliaStore,
  createJsonLogger,
  createP2PNode,
  encodeState,
  fetchState,
  getBytes,
  putState,
  sha256Hex,
  stateRoot,
  STATES_PROTOCOL,
  type StatesRequest,
} from '../../../sdk/index.ts';
import { makeState } from './states.ts';

export interface PeerConfig {
  readonly name: string;
  readonly directory: string;
  readonly key: Hex;
  readonly chainId: number;
  readonly market: Address;
  readonly bootstrap?: readonly string[];
  /** Serve /veritrain/states/1.0.0 with makeState(step, stateBytes). */
  readonly stateBytes?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerConfig;
const logger = createJsonLogger({ level: config.logLevel ?? 'warn' }).child({ peer: config.name });
const account = privateKeyToAccount(config.key);
const p2p = createP2PNode({ account, chainId: config.chainId, market: config.market, directory: config.directory, bootstrap: config.bootstrap, logger });
await p2p.start();
const store = createHeliaStore({ directory: config.directory, libp2p: p2p.libp2p, logger });
await store.start();
if (config.stateBytes !== undefined) {
  const size = config.stateBytes;
  // eslint-disable-next-line @typescript-eslint/require-await -- a provider is an AsyncIterable; this one computes in place
  await p2p.serveStates(async function* (req: StatesRequest) {
    for (let step = req.fromStep; step <= req.toStep; step++) yield { step, bytes: encodeState(makeState(step, size)) };
  });
}

const out = (obj: unknown): void => {
  process.stdout.write(`${JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
};
p2p.onJob((message) => {
  out({ event: 'job', message });
});
p2p.onCheckpoint((message) => {
  out({ event: 'checkpoint', message });
});

type Args = Record<string, unknown>;
const str = (a: Args, k: string): string => String(a[k]);
const num = (a: Args, k: string): number => Number(a[k]);
const pubsubOf = (node: Libp2p): { publish(topic: string, data: Uint8Array): Promise<unknown>; getSubscribers(topic: string): unknown[] } =>
  (node.services as { pubsub: { publish(topic: string, data: Uint8Array): Promise<unknown>; getSubscribers(topic: string): unknown[] } }).pubsub;

const commands: Record<string, (args: Args) => Promise<unknown>> = {
  async putState(a) {
    const state = makeState(num(a, 'seed'), num(a, 'bytes'));
    const cid = await putState(store, state);
    return { cid, stateRoot: stateRoot(state) };
  },
  async fetchState(a) {
    const tensors = await fetchState(store, str(a, 'cid'), str(a, 'root') as Hex, {
      signal: AbortSignal.timeout(num(a, 'timeoutMs')),
      offline: a.offline === true,
      ...(a.maxBytes === undefined ? {} : { maxBytes: num(a, 'maxBytes') }),
    });
    return { tensors: tensors.length, bytes: tensors.reduce((n, t) => n + t.data.byteLength, 0) };
  },
  async getBytes(a) {
    const bytes = await getBytes(store, str(a, 'cid'), { maxBytes: num(a, 'maxBytes'), signal: AbortSignal.timeout(num(a, 'timeoutMs')) });
    return { size: bytes.byteLength, sha256: sha256Hex(bytes) };
  },
  async pin(a) {
    await store.pin(str(a, 'cid'), { signal: AbortSignal.timeout(30_000) });
    return {};
  },
  async unpin(a) {
    await store.unpin(str(a, 'cid'));
    return {};
  },
  async isPinned(a) {
    return { pinned: await store.isPinned(str(a, 'cid')) };
  },
  async has(a) {
    return { has: await store.has(str(a, 'cid')) };
  },
  info() {
    return Promise.resolve({ peerId: p2p.peerId, addrs: p2p.multiaddrs(), peers: p2p.peers(), address: account.address.toLowerCase() });
  },
  score(a) {
    return Promise.resolve({ score: p2p.score(str(a, 'peerId')) });
  },
  subscribers(a) {
    return Promise.resolve({ count: pubsubOf(p2p.libp2p).getSubscribers(str(a, 'topic')).length });
  },
  async publishJob(a) {
    return p2p.publishJob(a.body as Parameters<typeof p2p.publishJob>[0]);
  },
  async publishCheckpoint(a) {
    return p2p.publishCheckpoint(a.body as Parameters<typeof p2p.publishCheckpoint>[0]);
  },
  /** Misbehaviour: publish arbitrary bytes (hex) or `size` bytes of 'x' on a topic, bypassing the envelope. */
  async publishRaw(a) {
    const data = a.hex === undefined ? new Uint8Array(num(a, 'size')).fill(0x78) : Buffer.from(str(a, 'hex'), 'hex');
    await pubsubOf(p2p.libp2p).publish(str(a, 'topic'), data);
    return {};
  },
  async requestStates(a) {
    const items = [];
    for await (const item of p2p.requestStates(str(a, 'peer'), a.request as StatesRequest, {
      signal: AbortSignal.timeout(num(a, 'timeoutMs')),
      ...(a.limits === undefined ? {} : { limits: a.limits as Record<string, number> }),
    })) {
      items.push({ step: item.step, size: item.bytes.byteLength, sha256: item.sha256, from: item.header.from });
    }
    return { items };
  },
  /** Misbehaviour: open a states stream and send one raw frame (hex, or `size` bytes of 'x'); report how the server answered. */
  async rawStates(a) {
    const stream = await p2p.libp2p.dialProtocol(multiaddr(str(a, 'peer')), STATES_PROTOCOL, { signal: AbortSignal.timeout(5_000) });
    const lp = lpStream(stream);
    const data = a.hex === undefined ? new Uint8Array(num(a, 'size')).fill(0x78) : Buffer.from(str(a, 'hex'), 'hex');
    try {
      await lp.write(data, { signal: AbortSignal.timeout(5_000) });
      const answer = await lp.read({ signal: AbortSignal.timeout(5_000) });
      return { answered: answer.byteLength };
    } catch (err) {
      return { answered: 0, error: err instanceof Error ? err.name : String(err) };
    }
  },
  async stop() {
    await store.stop();
    await p2p.stop();
    setImmediate(() => process.exit(0));
    return {};
  },
};

out({ event: 'ready', peerId: p2p.peerId, addrs: p2p.multiaddrs(), address: account.address.toLowerCase() });

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const { id, cmd, args } = JSON.parse(line) as { id: number; cmd: string; args?: Args };
  const fn = commands[cmd];
  if (fn === undefined) {
    out({ id, ok: false, error: { name: 'Error', message: `unknown command ${cmd}` } });
    continue;
  }
  fn(args ?? {}).then(
    (result) => {
      out({ id, ok: true, result });
    },
    (err: unknown) => {
      const e = err as { name?: string; code?: string; message?: string };
      out({ id, ok: false, error: { name: e.name ?? 'Error', code: e.code, message: e.message ?? String(err) } });
    },
  );
}
// stdin closed: the test is gone.
await store.stop();
await p2p.stop();
process.exit(0);
