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

    /// @notice sha256(a || b), using the scratch space.
    function hashPair(bytes32 a, bytes32 b) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// @notice Recompute the root of a tree over `leafCount` leaves from the hashes of leaves
    ///         [start, start + leaves.length) and their range proof. Siblings are consumed bottom-up;
    ///         per level first the left neighbour (when the range starts on a right child), then the
    ///         right neighbour (when it ends on a left child). A single-leaf proof is the ordinary
    ///         path of one sibling per level.
    /// @dev `leaves` is overwritten. Reverts on a range outside the tree or a proof of the wrong length.
    function processRangeProof(bytes32[] memory leaves, uint256 start, uint256 leafCount, bytes32[] calldata proof)
        internal
        view
        returns (bytes32)
    {
        uint256 m = leaves.length;
        if (m == 0 || start + m > leafCount) revert MerkleRangeInvalid(start, m, leafCount);
        uint256 levels = depth(leafCount);
        // Nodes of the current level live at buf[lo .. lo + m); one free slot on each side.
        bytes32[] memory buf = new bytes32[](m + 2);
        for (uint256 i = 0; i < m; ++i) {
            buf[i + 1] = leaves[i];
        }
        uint256 lo = 1;
        uint256 p = 0;
        for (uint256 level = 0; level < levels; ++level) {
            if (start & 1 == 1) {
                if (p >= proof.length) revert MerkleProofLengthInvalid(proof.length, p + 1);
                buf[0] = proof[p++];
                lo = 0;
                ++m;
                --start;
            }
            if ((start + m) & 1 == 1) {
                if (p >= proof.length) revert MerkleProofLengthInvalid(proof.length, p + 1);
                buf[lo + m] = proof[p++];
                ++m;
            }
            m >>= 1;
            // Writes to buf[1 + i] never overtake the reads at buf[lo + 2i].
            for (uint256 i = 0; i < m; ++i) {
                buf[1 + i] = hashPair(buf[lo + 2 * i], buf[lo + 2 * i + 1]);
            }
            lo = 1;
            start >>= 1;
        }
        if (p != proof.length) revert MerkleProofLengthInvalid(proof.length, p);
        return buf[lo];
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
