// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LibMerkle
/// @notice The protocol's one Merkle construction (docs/PROTOCOL.md §2.2), bit-identical to
///         sdk/commit/merkle.ts. A tree over n >= 1 leaf hashes has depth ceil(log2 n); slots past
///         n are zero; parent = sha256(left || right).
library LibMerkle {
    /// @notice The leaf range [start, start + count) is empty or does not fit `leafCount` leaves.
    error MerkleRangeInvalid(uint256 start, uint256 count, uint256 leafCount);
    /// @notice The proof holds `given` siblings where the range needs `needed` (or more than that).
    error MerkleProofLengthInvalid(uint256 given, uint256 needed);

    /// @notice ceil(log2 n) for n >= 1.
    function depth(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }

    /// @notice Recompute the root of a tree over `leafCount` leaves from the hashes of leaves
    ///         [start, start + leaves.length) and their range proof. Siblings are consumed bottom-up;
    ///         per level first the left neighbour (when the range starts on a right child), then the
    ///         right neighbour (when it ends on a left child). A single-leaf proof is the ordinary
    ///         path of one sibling per level.
    /// @dev Works in scratch memory past the free memory pointer (`leaves` is left as it was).
    ///      Reverts on a range outside the tree or a proof of the wrong length.
    function processRangeProof(bytes32[] memory leaves, uint256 start, uint256 leafCount, bytes32[] calldata proof)
        internal
        view
        returns (bytes32 root)
    {
        uint256 m = leaves.length;
        if (m == 0 || start + m > leafCount) revert MerkleRangeInvalid(start, m, leafCount);
        uint256 levels = depth(leafCount);
        uint256 p;
        bool short;
        assembly ("memory-safe") {
            // Nodes of the current level live at buf[lo .. lo + m) (words); one free slot on each side.
            let buf := mload(0x40)
            let src := add(leaves, 0x20)
            for { let i := 0 } lt(i, m) { i := add(i, 1) } {
                mstore(add(buf, shl(5, add(i, 1))), mload(add(src, shl(5, i))))
            }
            let lo := 1
            let n := proof.length
            for { let level := 0 } lt(level, levels) { level := add(level, 1) } {
                if and(start, 1) {
                    if iszero(lt(p, n)) {
                        short := 1
                        break
                    }
                    mstore(buf, calldataload(add(proof.offset, shl(5, p))))
                    p := add(p, 1)
                    lo := 0
                    m := add(m, 1)
                    start := sub(start, 1)
                }
                if and(add(start, m), 1) {
                    if iszero(lt(p, n)) {
                        short := 1
                        break
                    }
                    mstore(add(buf, shl(5, add(lo, m))), calldataload(add(proof.offset, shl(5, p))))
                    p := add(p, 1)
                    m := add(m, 1)
                }
                m := shr(1, m)
                // Pair i (64 contiguous bytes at buf[lo + 2i]) hashes into buf[1 + i]; the write
                // never overtakes a pair not yet read.
                for { let i := 0 } lt(i, m) { i := add(i, 1) } {
                    if iszero(staticcall(gas(), 0x02, add(buf, shl(5, add(lo, shl(1, i)))), 0x40, add(buf, shl(5, add(1, i))), 0x20)) {
                        revert(0, 0)
                    }
                }
                lo := 1
                start := shr(1, start)
            }
            root := mload(add(buf, shl(5, lo)))
        }
        if (short) revert MerkleProofLengthInvalid(proof.length, p + 1);
        if (p != proof.length) revert MerkleProofLengthInvalid(proof.length, p);
    }

    /// @notice Root from one leaf hash and its path: one sibling per level, bottom-up, the same
    ///         result as processRangeProof over the single leaf `index` (one hash call per level,
    ///         in the scratch space: a path is the hot loop of every dispute opening).
    function processProof(bytes32 leaf, uint256 index, uint256 leafCount, bytes32[] calldata proof)
        internal
        view
        returns (bytes32 node)
    {
        if (index >= leafCount) revert MerkleRangeInvalid(index, 1, leafCount);
        uint256 levels = depth(leafCount);
        if (proof.length != levels) revert MerkleProofLengthInvalid(proof.length, levels);
        node = leaf;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, levels) { i := add(i, 1) } {
                let sibling := calldataload(add(proof.offset, shl(5, i)))
                // Bit i of the index: 0 keeps the node on the left, 1 puts the sibling there.
                let right := and(shr(i, index), 1)
                mstore(shl(5, right), node)
                mstore(shl(5, xor(right, 1)), sibling)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
                node := mload(0x00)
            }
        }
    }
}
