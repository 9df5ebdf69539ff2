/**
 * Getting the solver's data: checkpoints from IPFS (checked against the on-chain root), with the
 * states protocol as a fallback; an interval's intermediate states and op traces over
 * `/veritrain/states/1.0.0`, kept on disk (written atomically) so a restarted verifier can still
 * prosecute a dispute after the solver stops serving.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PeerId } from '@libp2p/interface';
import type { Address } from 'viem';
import {
  writeFileAtomic,
  fetchState,
  P2PError,
  stateRoot,
  type ContentStore,
  type Graph,
  type Hex,
  type Logger,
  type P2PNode,
  type Tensor,
} from '../../sdk/index.ts';
import { decodeServedState, decodeServedTrace, ServedDataError } from '../core/exact.ts';
import type { VerifierDb } from './db.ts';

export interface SolverDataOptions {
  readonly content: ContentStore;
  readonly p2p: P2PNode;
  readonly db: VerifierDb;
  readonly logger: Logger;
  readonly market: Address;
  readonly dataDir: string;
  readonly fetchTimeoutMs: number;
  readonly fetchAttempts: number;
  /** Solver address (lowercase) -> multiaddr, from the config. */
  readonly solverPeers: Readonly<Record<string, string>>;
}

export interface ServedInterval {
  readonly states: Map<number, Tensor[]>;
  readonly traces: Map<number, Float32Array[]>;
}

export interface SolverData {
  /** Checkpoint `index` of a job, checked against `root`; undefined when nobody provides it in time. */
  checkpoint(p: {
    jobId: bigint;
    solver: Address;
    index: number;
    k: number;
    root: Hex;
    cid: string;
    graph: Graph;
    signal: AbortSignal;
  }): Promise<Tensor[] | undefined>;
  /**
   * The served states (steps from..to) and traces (steps from..to-1), from disk when fetched before,
   * else from the solver. Throws ServedDataError when the solver refuses, fails or serves garbage.
   */
  interval(p: { jobId: bigint; solver: Address; interval: number; from: number; to: number; graph: Graph; signal: AbortSignal }): Promise<ServedInterval>;
  /** What was kept on disk for an interval (for a restarted dispute), or undefined. */
  stored(p: { jobId: bigint; interval: number; from: number; to: number; graph: Graph }): Promise<ServedInterval | undefined>;
}

export function createSolverData(o: SolverDataOptions): SolverData {
  const log = o.logger.child({ component: 'solver-data' });
  const dirOf = (jobId: bigint, interval: number): string => path.join(o.dataDir, 'served', `job-${jobId}`, `interval-${interval}`);

  /** The solver's peer: from the config, else as heard on gossip (a known PeerId in the peer store). */
  const peerOf = async (solver: Address): Promise<PeerId | string> => {
    const configured = o.solverPeers[solver.toLowerCase()];
    if (configured !== undefined) return configured;
    const id = o.db.peer(solver);
    if (id === undefined) throw new ServedDataError(`no libp2p peer known for solver ${solver} (not heard on the checkpoints topic; set p2p.solverPeers)`);
    const known = (await o.p2p.libp2p.peerStore.all()).find((p) => p.id.toString() === id);
    if (known === undefined) throw new ServedDataError(`solver ${solver}'s peer ${id} has no known address`);
    return known.id;
  };

  /**
   * Bitswap asks connected peers only (there is no DHT on this network): connect to the solver, the
   * one peer sure to hold its checkpoints, before asking IPFS for them. Best effort.
   */
  const connect = async (solver: Address, signal: AbortSignal): Promise<void> => {
    try {
      const peer = await peerOf(solver);
      const s = AbortSignal.any([signal, AbortSignal.timeout(o.fetchTimeoutMs)]);
      await (typeof peer === 'string' ? o.p2p.dial(peer, { signal: s }) : o.p2p.libp2p.dial(peer, { signal: s }));
    } catch (err) {
      signal.throwIfAborted();
      log.debug('could not connect to the solver before fetching its checkpoint', { solver, error: err });
    }
  };

  const request = async (
    solver: Address,
    jobId: bigint,
    want: 'states' | 'traces',
    fromStep: number,
    toStep: number,
    signal: AbortSignal,
  ): Promise<Map<number, Uint8Array>> => {
    const peer = await peerOf(solver);
    const items = new Map<number, Uint8Array>();
    const s = AbortSignal.any([signal, AbortSignal.timeout(o.fetchTimeoutMs)]);
    for await (const item of o.p2p.requestStates(
      peer,
      { market: o.market.toLowerCase(), jobId: jobId.toString(), fromStep, toStep, want },
      { signal: s, server: solver },
    )) {
      items.set(item.step, item.bytes);
    }
    for (let step = fromStep; step <= toStep; step++)
      if (!items.has(step)) throw new ServedDataError(`the solver did not serve the ${want === 'states' ? 'state' : 'op trace'} of step ${step}`);
    return items;
  };

  const withAttempts = async <T>(what: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> => {
    let last: unknown;
    for (let attempt = 1; attempt <= o.fetchAttempts; attempt++) {
      signal.throwIfAborted();
      try {
        return await fn();
      } catch (err) {
        signal.throwIfAborted();
        last = err;
        log.warn(`${what} failed`, { attempt, of: o.fetchAttempts, error: err });
        if (err instanceof P2PError && err.code === 'PEER_FAILED' && /refused/.test(err.message)) break; // a refusal is an answer
      }
    }
    throw last instanceof ServedDataError ? last : new ServedDataError(`${what}: ${last instanceof Error ? last.message : String(last)}`);
  };

  const decodeAll = (graph: Graph, states: Map<number, Uint8Array>, traces: Map<number, Uint8Array>): ServedInterval => ({
    states: new Map([...states].map(([s, b]) => [s, decodeServedState(graph, b, s)])),
    traces: new Map([...traces].map(([s, b]) => [s, decodeServedTrace(graph, b, s)])),
  });

  const stored: SolverData['stored'] = async ({ jobId, interval, from, to, graph }) => {
    const dir = dirOf(jobId, interval);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return undefined;
    }
    if (!names.includes('complete')) return undefined;
    const states = new Map<number, Uint8Array>();
    const traces = new Map<number, Uint8Array>();
    for (let s = from; s <= to; s++) states.set(s, new Uint8Array(await readFile(path.join(dir, `state-${s}.vts`))));
    for (let s = from; s < to; s++) traces.set(s, new Uint8Array(await readFile(path.join(dir, `trace-${s}.vts`))));
    return decodeAll(graph, states, traces);
  };

  return {
    async checkpoint({ jobId, solver, index, k, root, cid, graph, signal }) {
      await connect(solver, signal);
      try {
        return await fetchState(o.content, cid, root, { signal: AbortSignal.any([signal, AbortSignal.timeout(o.fetchTimeoutMs)]) });
      } catch (err) {
        signal.throwIfAborted();
        log.warn('checkpoint not available from IPFS; asking the solver', { jobId, index, cid, error: err });
      }
      try {
        const items = await request(solver, jobId, 'states', index * k, index * k, signal);
        const state = decodeServedState(graph, items.get(index * k) as Uint8Array, index * k);
        if (stateRoot(state) !== root.toLowerCase()) throw new ServedDataError(`the served checkpoint ${index} is not the committed one`);
        return state;
      } catch (err) {
        signal.throwIfAborted();
        log.warn('checkpoint not available from the solver either', { jobId, index, error: err });
        return undefined;
      }
    },

    async interval({ jobId, solver, interval, from, to, graph, signal }) {
      const kept = await stored({ jobId, interval, from, to, graph });
      if (kept !== undefined) return kept;
      const states = await withAttempts(`fetching the states of steps ${from}..${to}`, signal, () => request(solver, jobId, 'states', from, to, signal));
      const traces = await withAttempts(`fetching the op traces of steps ${from}..${to - 1}`, signal, () =>
        request(solver, jobId, 'traces', from, to - 1, signal),
      );
      const decoded = decodeAll(graph, states, traces);
      const dir = dirOf(jobId, interval);
      await mkdir(dir, { recursive: true });
      for (const [s, bytes] of states) await writeFileAtomic(path.join(dir, `state-${s}.vts`), bytes);
      for (const [s, bytes] of traces) await writeFileAtomic(path.join(dir, `trace-${s}.vts`), bytes);
      await writeFileAtomic(path.join(dir, 'complete'), new Uint8Array(0));
      log.info('served interval kept', { jobId, interval, from, to, bytes: [...states.values(), ...traces.values()].reduce((n, b) => n + b.byteLength, 0) });
      return decoded;
    },

    stored,
  };
}
