/**
 * The one Merkle construction of the protocol (docs/PROTOCOL.md §2.2).
 *
 * A tree over n >= 1 leaf hashes has depth d = ceil(log2 n) and 2^d leaf slots; slots past n
 * hold the zero hash Z0 = 32 zero bytes, and parent = SHA-256(left || right). Z(l+1) = H(Zl||Zl)
 * is the root of an all-padding subtree of height l+1, so padding costs nothing to compute.
 * Leaves are the 32-byte hashes; what they hash (a 2 KiB tensor leaf, a record, a tensor root)
 * is up to the caller. Internal nodes hash 64 bytes and tensor leaves 2048, so the two never
 * collide by length.
 */
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { ProofError } from '../errors.ts';
import { HASH_BYTES, sha256 } from './sha256.ts';

const MAX_DEPTH = 64;

/** ZERO_HASHES[l] is the root of a subtree of height l whose leaves are all padding. */
export const ZERO_HASHES: readonly Uint8Array[] = (() => {
  const z: Uint8Array[] = [new Uint8Array(HASH_BYTES)];
  const pair = new Uint8Array(2 * HASH_BYTES);
  for (let l = 1; l <= MAX_DEPTH; l++) {
    const prev = z[l - 1] as Uint8Array;
    pair.set(prev, 0);
    pair.set(prev, HASH_BYTES);
    z.push(sha256(pair));
  }
  return z;
})();

function zeroHash(level: number): Uint8Array {
  return ZERO_HASHES[level] as Uint8Array;
}

/** ceil(log2 n) for n >= 1: the depth of the tree over n leaves. */
export function merkleDepth(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new ProofError(`a Merkle tree needs at least one leaf, got ${n}`, { n });
  let d = 0;
  while (2 ** d < n) d++;
  return d;
}

/**
 * Hash one level into the next, in place: nodes[0..m) at `level` become nodes[0..ceil(m/2)).
 * The write position i never passes the read position 2i, so one buffer serves every level.
 */
function reduceLevel(nodes: Uint8Array, m: number, level: number, pair: Uint8Array): number {
  const half = m >>> 1;
  for (let i = 0; i < half; i++) {
    const d = sha256(nodes.subarray(2 * i * HASH_BYTES, (2 * i + 2) * HASH_BYTES));
    nodes.set(d, i * HASH_BYTES);
  }
  if (m % 2 === 1) {
    pair.set(nodes.subarray((m - 1) * HASH_BYTES, m * HASH_BYTES), 0);
    pair.set(zeroHash(level), HASH_BYTES);
    nodes.set(sha256(pair), half * HASH_BYTES);
    return half + 1;
  }
  return half;
}

/**
 * Reduce `count` nodes sitting at height `fromLevel` up to the node at height `toLevel`.
 * `nodes` (count * 32 bytes) is overwritten. Used whole (fromLevel 0) and by the parallel
 * hasher, which hands in subtree roots at a chunk height.
 */
export function reduceToRoot(nodes: Uint8Array, count: number, fromLevel: number, toLevel: number): Uint8Array {
  if (count < 1 || count > 2 ** (toLevel - fromLevel)) {
    throw new ProofError(`${count} nodes do not fit a subtree from height ${fromLevel} to ${toLevel}`);
  }
  const pair = new Uint8Array(2 * HASH_BYTES);
  let m = count;
  for (let level = fromLevel; level < toLevel; level++) m = reduceLevel(nodes, m, level, pair);
  return nodes.slice(0, HASH_BYTES);
}

/** Root over concatenated 32-byte leaf hashes. Does not modify `leafHashes`. */
export function merkleRoot(leafHashes: Uint8Array): Uint8Array {
  const n = leafCountOf(leafHashes);
  return reduceToRoot(leafHashes.slice(), n, 0, merkleDepth(n));
}

function leafCountOf(leafHashes: Uint8Array): number {
  if (leafHashes.length === 0 || leafHashes.length % HASH_BYTES !== 0) {
    throw new ProofError(`leaf hashes must be a non-empty multiple of 32 bytes, got ${leafHashes.length}`);
  }
  return leafHashes.length / HASH_BYTES;
}

/** A proof for leaves [start, start + count): the siblings in the order `processRangeProof` consumes them. */
export interface RangeProof {
  readonly start: number;
  readonly count: number;
  readonly siblings: readonly Hex[];
}

/** Every level of a tree, for producing proofs. Holds about 2n hashes. */
export class MerkleTree {
  readonly leafCount: number;
  readonly depth: number;
  readonly #levels: Uint8Array[];

  constructor(leafHashes: Uint8Array) {
    this.leafCount = leafCountOf(leafHashes);
    this.depth = merkleDepth(this.leafCount);
    const levels = [leafHashes.slice()];
    const pair = new Uint8Array(2 * HASH_BYTES);
    let m = this.leafCount;
    for (let level = 0; level < this.depth; level++) {
      const next = (levels[level] as Uint8Array).slice();
      m = reduceLevel(next, m, level, pair);
      levels.push(next.slice(0, m * HASH_BYTES));
    }
    this.#levels = levels;
  }

  get root(): Hex {
    return bytesToHex((this.#levels[this.depth] as Uint8Array).subarray(0, HASH_BYTES));
  }

  /** Node `index` at height `level`, or the padding hash past the end of that level. */
  node(level: number, index: number): Uint8Array {
    const nodes = this.#levels[level] as Uint8Array;
    if (index * HASH_BYTES >= nodes.length) return zeroHash(level);
    return nodes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  /** Proof for leaves [start, start + count); a single-leaf proof is count = 1 (one sibling per level). */
  rangeProof(start: number, count = 1): RangeProof {
    checkRange(start, count, this.leafCount);
    const siblings: Hex[] = [];
    let s = start;
    let e = start + count;
    for (let level = 0; level < this.depth; level++) {
      if (s % 2 === 1) siblings.push(bytesToHex(this.node(level, s - 1)));
      if (e % 2 === 1) siblings.push(bytesToHex(this.node(level, e)));
      s >>>= 1;
      e = (e + 1) >>> 1;
    }
    return { start, count, siblings };
  }
}

function checkRange(start: number, count: number, leafCount: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 1 || start + count > leafCount) {
    throw new ProofError(`leaf range [${start}, ${start + count}) is outside a tree of ${leafCount} leaves`, {
      start,
      count,
      leafCount,
    });
  }
}

/**
 * Recompute the root from the hashes of leaves [proof.start, proof.start + count) of a tree over
 * `leafCount` leaves. Throws ProofError when the proof has the wrong number of siblings.
 * The Solidity twin is LibMerkle.processRangeProof.
 */
export function processRangeProof(leafHashes: Uint8Array, leafCount: number, proof: RangeProof): Uint8Array {
  const count = leafCountOf(leafHashes);
  if (count !== proof.count) throw new ProofError(`proof covers ${proof.count} leaves but ${count} were given`);
  checkRange(proof.start, count, leafCount);
  const depth = merkleDepth(leafCount);
  // Room for one extra node on each side of the range.
  let nodes = new Uint8Array((count + 2) * HASH_BYTES);
  nodes.set(leafHashes, 0);
  let m = count;
  let s = proof.start;
  let p = 0;
  const take = (): Uint8Array => {
    const sib = proof.siblings[p++];
    if (sib === undefined) throw new ProofError(`proof ends early: ${proof.siblings.length} siblings are too few`);
    const bytes = hexToBytes(sib);
    if (bytes.length !== HASH_BYTES) throw new ProofError(`proof sibling ${p - 1} is not 32 bytes`);
    return bytes;
  };
  for (let level = 0; level < depth; level++) {
    if (s % 2 === 1) {
      const left = take();
      nodes.copyWithin(HASH_BYTES, 0, m * HASH_BYTES);
      nodes.set(left, 0);
      m++;
      s--;
    }
    if ((s + m) % 2 === 1) {
      nodes.set(take(), m * HASH_BYTES);
      m++;
    }
    const next = new Uint8Array(((m >>> 1) + 2) * HASH_BYTES);
    for (let i = 0; i < m >>> 1; i++) next.set(sha256(nodes.subarray(2 * i * HASH_BYTES, (2 * i + 2) * HASH_BYTES)), i * HASH_BYTES);
    nodes = next;
    m >>>= 1;
    s >>>= 1;
  }
  if (p !== proof.siblings.length) {
    throw new ProofError(`proof has ${proof.siblings.length} siblings but the range needs ${p}`);
  }
  return nodes.slice(0, HASH_BYTES);
}

/** True when the proof leads from the given leaf hashes to `root`. */
export function verifyRangeProof(root: Hex, leafHashes: Uint8Array, leafCount: number, proof: RangeProof): boolean {
  try {
    return bytesToHex(processRangeProof(leafHashes, leafCount, proof)) === root.toLowerCase();
  } catch (err) {
    if (err instanceof ProofError) return false;
    throw err;
  }
}
