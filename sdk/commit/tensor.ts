/**
 * Tensor commitments (docs/PROTOCOL.md §2.1): fp32 little-endian elements in the committed
 * layout, cut into leaves (the last leaf zero padded), a Merkle tree over the leaf hashes, and
 * tensorRoot = SHA-256(shapeEncoding || merkleRoot). States use 2048-byte leaves (fast roots at
 * every checkpoint), op traces 128-byte leaves (small openings in a dispute's last move).
 */
import { endianness } from 'node:os';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { ProofError, TensorError, VeritrainError } from '../errors.ts';
import { MerkleTree, merkleDepth, processRangeProof, reduceToRoot, type RangeProof } from './merkle.ts';
import { HASH_BYTES, sha256 } from './sha256.ts';

/** Bytes per leaf of a state tensor. See docs/PROTOCOL.md §2.1 for the measurement behind the choice. */
export const STATE_LEAF_BYTES = 2048;
/** Bytes per leaf of an op-trace tensor (§2.1, §3.1): 16 trace leaves make one state leaf. */
export const TRACE_LEAF_BYTES = 128;
export const ELEMENT_BYTES = 4;
/** dtype code of IEEE-754 binary32, the only dtype of protocol version 1. */
export const DTYPE_FP32 = 1;
export const MAX_RANK = 8;
/** Largest element count a tensor may have (2^31 - 1, so byte offsets stay exact everywhere). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export type Shape = readonly number[];

/** A tensor as the protocol sees it: a shape and its row-major fp32 data. */
export interface Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;
}

if (endianness() !== 'LE') {
  throw new VeritrainError('PLATFORM_UNSUPPORTED', 'Veritrain needs a little-endian host: tensors are committed as fp32 little-endian');
}

/** Number of elements of a shape; rank 0 is a scalar. Throws TensorError on a bad shape. */
export function elementCount(shape: Shape): number {
  if (shape.length > MAX_RANK) throw new TensorError('SHAPE_INVALID', `rank ${shape.length} exceeds the maximum of ${MAX_RANK}`, { shape });
  let n = 1;
  for (const [axis, dim] of shape.entries()) {
    if (!Number.isInteger(dim) || dim < 1 || dim > 0xffff_ffff) {
      throw new TensorError('SHAPE_INVALID', `dimension ${axis} must be an integer in [1, 2^32-1], got ${dim}`, { shape });
    }
    n *= dim;
    if (n > MAX_ELEMENTS) throw new TensorError('SHAPE_INVALID', `shape [${shape.join(', ')}] has more than 2^31-1 elements`, { shape });
  }
  return n;
}

/** dtype (u8) || rank (u8) || rank x dim (u32 big-endian). */
export function encodeShape(shape: Shape): Uint8Array {
  elementCount(shape);
  const out = new Uint8Array(2 + 4 * shape.length);
  const view = new DataView(out.buffer);
  out[0] = DTYPE_FP32;
  out[1] = shape.length;
  shape.forEach((dim, i) => {
    view.setUint32(2 + 4 * i, dim);
  });
  return out;
}

/** Number of `leafBytes` leaves of a tensor with `elements` elements (at least one). */
export function leafCount(elements: number, leafBytes = STATE_LEAF_BYTES): number {
  return Math.max(1, Math.ceil((elements * ELEMENT_BYTES) / leafBytes));
}

/** Check that `tensor.data` has exactly the elements its shape says. */
export function checkTensor(tensor: Tensor): void {
  const n = elementCount(tensor.shape);
  if (tensor.data.length !== n) {
    throw new TensorError('TENSOR_INVALID', `shape [${tensor.shape.join(', ')}] needs ${n} elements but the data has ${tensor.data.length}`, {
      shape: tensor.shape,
      length: tensor.data.length,
    });
  }
}

/** The fp32 little-endian bytes of a tensor, without copying. */
export function tensorBytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The hashes of every `leafBytes` leaf of `bytes` (n * 32 bytes). The last leaf is zero padded. */
export function hashLeaves(bytes: Uint8Array, leafBytes = STATE_LEAF_BYTES): Uint8Array {
  const n = leafCount(bytes.length / ELEMENT_BYTES, leafBytes);
  const out = new Uint8Array(n * HASH_BYTES);
  const full = Math.floor(bytes.length / leafBytes);
  for (let i = 0; i < full; i++) out.set(sha256(bytes.subarray(i * leafBytes, (i + 1) * leafBytes)), i * HASH_BYTES);
  if (full < n) out.set(sha256(paddedLeaf(bytes, full, leafBytes)), full * HASH_BYTES);
  return out;
}

/** Leaf `index` of `bytes` as the full `leafBytes` bytes that are hashed. */
export function paddedLeaf(bytes: Uint8Array, index: number, leafBytes = STATE_LEAF_BYTES): Uint8Array {
  const leaf = new Uint8Array(leafBytes);
  leaf.set(bytes.subarray(index * leafBytes, Math.min(bytes.length, (index + 1) * leafBytes)));
  return leaf;
}

/** SHA-256(shapeEncoding || dataRoot). */
export function tensorRootFromDataRoot(shape: Shape, dataRoot: Uint8Array): Uint8Array {
  const enc = encodeShape(shape);
  const buf = new Uint8Array(enc.length + HASH_BYTES);
  buf.set(enc, 0);
  buf.set(dataRoot, enc.length);
  return sha256(buf);
}

/** The commitment to one tensor. */
export function tensorRoot(tensor: Tensor): Hex {
  return bytesToHex(tensorRootBytes(tensor));
}

/** The tensor root in the layout of `leafBytes` leaves (state layout unless told). */
export function tensorRootBytes(tensor: Tensor, leafBytes = STATE_LEAF_BYTES): Uint8Array {
  checkTensor(tensor);
  const bytes = tensorBytes(tensor.data);
  return tensorRootFromDataRoot(tensor.shape, subtreeRoot(bytes, merkleDepth(leafCount(tensor.data.length, leafBytes)), leafBytes));
}

/**
 * Root of the subtree of height `height` whose leaves are `bytes` (zero padded to whole leaves
 * and then to 2^height leaves). With height = depth of the whole tensor this is its data root;
 * RootHasher uses smaller heights for aligned chunks hashed in parallel.
 */
export function subtreeRoot(bytes: Uint8Array, height: number, leafBytes = STATE_LEAF_BYTES): Uint8Array {
  const leaves = hashLeaves(bytes, leafBytes);
  return reduceToRoot(leaves, leaves.length / HASH_BYTES, 0, height);
}

/**
 * An opening of elements [first, first + count) of a committed tensor: the whole leaves that
 * hold them and a range proof for those leaves.
 */
export interface TensorOpening {
  readonly shape: Shape;
  readonly first: number;
  readonly count: number;
  /** Bytes per leaf of the tensor's layout. */
  readonly leafBytes: number;
  /** The covering leaves, `leafBytes` each, last one zero padded as hashed. */
  readonly leaves: Uint8Array;
  readonly proof: RangeProof;
}

/** Open elements [first, first + count) of `tensor` (builds the tree; for many openings keep a TensorTree). */
export function openTensor(tensor: Tensor, first: number, count = 1, leafBytes = STATE_LEAF_BYTES): TensorOpening {
  return new TensorTree(tensor, leafBytes).open(first, count);
}

/** A tensor with its Merkle tree, for serving many openings. */
export class TensorTree {
  readonly tensor: Tensor;
  readonly leafBytes: number;
  readonly root: Hex;
  readonly #tree: MerkleTree;

  constructor(tensor: Tensor, leafBytes = STATE_LEAF_BYTES) {
    checkTensor(tensor);
    this.tensor = tensor;
    this.leafBytes = leafBytes;
    this.#tree = new MerkleTree(hashLeaves(tensorBytes(tensor.data), leafBytes));
    this.root = bytesToHex(tensorRootFromDataRoot(tensor.shape, hexToBytes(this.#tree.root)));
  }

  open(first: number, count = 1): TensorOpening {
    const n = this.tensor.data.length;
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 1 || first + count > n) {
      throw new TensorError('TENSOR_INVALID', `elements [${first}, ${first + count}) are outside a tensor of ${n} elements`, { first, count, n });
    }
    const { leafBytes } = this;
    const perLeaf = leafBytes / ELEMENT_BYTES;
    const startLeaf = Math.floor(first / perLeaf);
    const endLeaf = Math.floor((first + count - 1) / perLeaf) + 1;
    const bytes = tensorBytes(this.tensor.data);
    const leaves = new Uint8Array((endLeaf - startLeaf) * leafBytes);
    for (let i = startLeaf; i < endLeaf; i++) leaves.set(paddedLeaf(bytes, i, leafBytes), (i - startLeaf) * leafBytes);
    return { shape: this.tensor.shape, first, count, leafBytes, leaves, proof: this.#tree.rangeProof(startLeaf, endLeaf - startLeaf) };
  }
}

/**
 * Check an opening against a tensor root and return the opened values.
 * Throws ProofError (bad proof) or TensorError (opening inconsistent with the shape).
 */
export function verifyTensorOpening(root: Hex, opening: TensorOpening): Float32Array {
  const n = elementCount(opening.shape);
  const { first, count, leafBytes, leaves, proof } = opening;
  const perLeaf = leafBytes / ELEMENT_BYTES;
  if (first < 0 || count < 1 || first + count > n) {
    throw new TensorError('TENSOR_INVALID', `elements [${first}, ${first + count}) are outside a tensor of ${n} elements`, { first, count, n });
  }
  const startLeaf = Math.floor(first / perLeaf);
  const leafSpan = Math.floor((first + count - 1) / perLeaf) + 1 - startLeaf;
  if (leaves.length !== leafSpan * leafBytes || proof.start !== startLeaf || proof.count !== leafSpan) {
    throw new TensorError('TENSOR_INVALID', `an opening of elements [${first}, ${first + count}) needs leaves ${startLeaf}..${startLeaf + leafSpan - 1}`, {
      leafBytes: leaves.length,
      proofStart: proof.start,
      proofCount: proof.count,
    });
  }
  const hashes = new Uint8Array(leafSpan * HASH_BYTES);
  for (let i = 0; i < leafSpan; i++) hashes.set(sha256(leaves.subarray(i * leafBytes, (i + 1) * leafBytes)), i * HASH_BYTES);
  const dataRoot = processRangeProof(hashes, leafCount(n, leafBytes), proof);
  const got = bytesToHex(tensorRootFromDataRoot(opening.shape, dataRoot));
  if (got !== root.toLowerCase()) {
    throw new ProofError(`opening of elements [${first}, ${first + count}) does not match tensor root ${root}`, { expected: root, got });
  }
  const offset = (first - startLeaf * perLeaf) * ELEMENT_BYTES;
  return new Float32Array(leaves.slice(offset, offset + count * ELEMENT_BYTES).buffer);
}
