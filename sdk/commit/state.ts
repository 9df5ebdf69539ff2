/**
 * State commitments (docs/PROTOCOL.md §2.3): stateRoot = Merkle root over the tensor roots of the
 * state's tensors in canonical order (weights, then optimizer slots, as the op graph lists them).
 */
import { bytesToHex, type Hex } from 'viem';
import { TensorError } from '../errors.ts';
import { merkleRoot } from './merkle.ts';
import { HASH_BYTES } from './sha256.ts';
import { tensorRootBytes, type Tensor } from './tensor.ts';

/** Merkle root over 32-byte tensor roots, in order. */
export function stateRootFromTensorRoots(roots: readonly Uint8Array[]): Hex {
  if (roots.length === 0) throw new TensorError('TENSOR_INVALID', 'a state needs at least one tensor');
  const leaves = new Uint8Array(roots.length * HASH_BYTES);
  roots.forEach((r, i) => {
    leaves.set(r, i * HASH_BYTES);
  });
  return bytesToHex(merkleRoot(leaves));
}

/** The commitment to a whole state, computed on the calling thread. For large states use a RootHasher. */
export function stateRoot(tensors: readonly Tensor[]): Hex {
  return stateRootFromTensorRoots(tensors.map((t) => tensorRootBytes(t)));
}
