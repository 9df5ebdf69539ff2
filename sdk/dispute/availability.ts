/**
 * Data availability in the dispute game (docs/PROTOCOL.md §5.2): when the challenger cannot get
 * the data behind a posted midpoint or trace root (withheld, or served data that does not hash to
 * the posted root), it demands it on-chain; the solver's clock then runs until it has published
 * every leaf, proved, in calldata. This module builds the solver's parts and reads them back from
 * the chain's transactions for the challenger, checking them against the roots they rebuild.
 */
import { bytesToHex, decodeFunctionData, hexToBytes, type Hex, type PublicClient, type Address } from 'viem';
import { disputeGameAbi } from '../abi/index.ts';
import { MerkleTree } from '../commit/merkle.ts';
import { stateRootFromTensorRoots } from '../commit/state.ts';
import { Stage } from './stages.ts';
import { ELEMENT_BYTES, elementCount, STATE_LEAF_BYTES, tensorRootBytes, TensorTree, TRACE_LEAF_BYTES, type Tensor } from '../commit/tensor.ts';

/** IDisputeGame.DataPart. */
export interface DataPartArg {
  tensor: number;
  firstLeaf: number;
  shape: number[];
  leaves: Hex;
  leafProof: Hex[];
  rootProof: Hex[];
}

/** Calldata per publishData transaction: 128 KiB of leaves (about 5.3M gas at the calldata floor). */
export const DATA_PART_BYTES = 128 * 1024;

/** The demanded data's tensors and their layout: a state (2 KiB leaves) or an op trace (128-byte leaves). */
export interface DemandedData {
  readonly tensors: readonly Tensor[];
  readonly leafBytes: typeof STATE_LEAF_BYTES | typeof TRACE_LEAF_BYTES;
}

const rootsTree = new WeakMap<readonly Tensor[], MerkleTree>();

/** The part that continues publication at (tensor, leaf): up to DATA_PART_BYTES of that tensor's leaves. */
export function dataPart(data: DemandedData, tensor: number, leaf: number): DataPartArg {
  const t = data.tensors[tensor];
  if (t === undefined) throw new RangeError(`no tensor ${tensor} in the demanded data`);
  let tree = rootsTree.get(data.tensors);
  if (tree === undefined) {
    const roots = new Uint8Array(data.tensors.length * 32);
    data.tensors.forEach((x, i) => {
      roots.set(tensorRootBytes(x, data.leafBytes), i * 32);
    });
    tree = new MerkleTree(roots);
    rootsTree.set(data.tensors, tree);
  }
  const perLeaf = data.leafBytes / ELEMENT_BYTES;
  const n = elementCount(t.shape);
  const first = leaf * perLeaf;
  const count = Math.min((DATA_PART_BYTES / data.leafBytes) * perLeaf, n - first);
  const opening = new TensorTree(t, data.leafBytes).open(first, count);
  return {
    tensor,
    firstLeaf: leaf,
    shape: [...t.shape],
    leaves: bytesToHex(opening.leaves),
    leafProof: [...opening.proof.siblings],
    rootProof: [...tree.rangeProof(tensor, 1).siblings],
  };
}

/** Everything published in one dispute, by the root it rebuilds: states (state layout) and traces (trace layout). */
export interface Published {
  readonly states: ReadonlyMap<Hex, Tensor[]>;
  readonly traces: ReadonlyMap<Hex, Tensor[]>;
}

/**
 * Reads every publication of dispute `disputeId` from the calldata of its publishData
 * transactions (in log order), cuts it into the demands it answered, and keys each by the root its
 * tensors rebuild. A publication is only complete once the game moved on; an incomplete one is skipped.
 */
export async function readPublished(publicClient: PublicClient, game: Address, disputeId: bigint, fromBlock = 0n): Promise<Published> {
  const [demands, parts] = await Promise.all([
    publicClient.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'DataDemanded', args: { disputeId }, fromBlock }),
    publicClient.getContractEvents({ address: game, abi: disputeGameAbi, eventName: 'DataPublished', args: { disputeId }, fromBlock }),
  ]);
  const order = (l: { blockNumber: bigint; logIndex: number }): bigint => l.blockNumber * 2n ** 32n + BigInt(l.logIndex);
  const events = [...demands.map((l) => ({ at: order(l), demand: l })), ...parts.map((l) => ({ at: order(l), part: l }))].sort((x, y) =>
    x.at < y.at ? -1 : 1,
  );
  const states = new Map<Hex, Tensor[]>();
  const traces = new Map<Hex, Tensor[]>();
  let current: { shapes: number[][]; bytes: Uint8Array[][]; leafBytes: number } | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    const { shapes, bytes, leafBytes } = current;
    current = undefined;
    if (shapes.length === 0) return;
    const tensors = shapes.map((shape, i) => {
      const all = concat(bytes[i] ?? []);
      return { shape, data: new Float32Array(all.buffer.slice(all.byteOffset, all.byteOffset + elementCount(shape) * ELEMENT_BYTES)) };
    });
    const root = stateRootFromTensorRoots(tensors.map((t) => tensorRootBytes(t, leafBytes)));
    (leafBytes === STATE_LEAF_BYTES ? states : traces).set(root, tensors);
  };
  for (const e of events) {
    if ('demand' in e) {
      finish();
      current = { shapes: [], bytes: [], leafBytes: e.demand.args.stage === Stage.AwaitTraceData ? TRACE_LEAF_BYTES : STATE_LEAF_BYTES };
      continue;
    }
    if (current === undefined) continue;
    const tx = await publicClient.getTransaction({ hash: e.part.transactionHash });
    const { functionName, args } = decodeFunctionData({ abi: disputeGameAbi, data: tx.input });
    if (functionName !== 'publishData') continue;
    const [, part] = args;
    current.shapes[part.tensor] = [...part.shape];
    (current.bytes[part.tensor] ??= []).push(hexToBytes(part.leaves));
  }
  finish();
  return { states, traces };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
