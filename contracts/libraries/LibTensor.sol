// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibMerkle} from "./LibMerkle.sol";

/// @title LibTensor
/// @notice Tensor commitments (docs/PROTOCOL.md §2.1), bit-identical to sdk/commit/tensor.ts:
///         fp32 little-endian elements cut into leaves of a layout's size (the last zero padded),
///         a LibMerkle tree over the leaf hashes, tensorRoot = sha256(dtype u8 || rank u8 ||
///         dims u32 BE || dataRoot). States use 2048-byte leaves, op traces 128-byte leaves.
library LibTensor {
    /// @notice Leaf size of the state layout (checkpoints: fast roots).
    uint256 internal constant STATE_LEAF_BYTES = 2048;
    /// @notice Leaf size of the trace layout (disputes: small openings).
    uint256 internal constant TRACE_LEAF_BYTES = 128;
    uint8 internal constant DTYPE_FP32 = 1;
    uint256 internal constant MAX_RANK = 8;

    /// @notice A dimension is zero or the rank exceeds MAX_RANK.
    error TensorShapeInvalid(uint256 rank, uint256 axis);
    /// @notice Elements [first, first + count) do not lie inside a tensor of `elements` elements.
    error TensorRangeInvalid(uint256 first, uint256 count, uint256 elements);
    /// @notice The opening carries `given` bytes of leaves where the range needs `needed`.
    error TensorLeavesLengthInvalid(uint256 given, uint256 needed);

    /// @notice Number of elements of `shape` (1 for a scalar).
    function elementCount(uint32[] memory shape) internal pure returns (uint256 n) {
        if (shape.length > MAX_RANK) revert TensorShapeInvalid(shape.length, MAX_RANK);
        n = 1;
        for (uint256 i = 0; i < shape.length; ++i) {
            if (shape[i] == 0) revert TensorShapeInvalid(shape.length, i);
            n *= shape[i];
        }
    }

    /// @notice Number of `leafBytes` leaves of a tensor of `elements` elements (at least one).
    function leafCount(uint256 elements, uint256 leafBytes) internal pure returns (uint256) {
        uint256 n = (elements * 4 + leafBytes - 1) / leafBytes;
        return n == 0 ? 1 : n;
    }

    /// @notice sha256(dtype || rank || dims big-endian || dataRoot), built in one buffer.
    function tensorRoot(uint32[] memory shape, bytes32 dataRoot) internal view returns (bytes32 root) {
        elementCount(shape);
        assembly ("memory-safe") {
            // Scratch past the free memory pointer; the pointer is not moved.
            let buf := mload(0x40)
            let rank := mload(shape)
            mstore8(buf, 1) // DTYPE_FP32
            mstore8(add(buf, 1), rank)
            for { let i := 0 } lt(i, rank) { i := add(i, 1) } {
                // Each word write puts dim i in its top 4 bytes; the next write covers the rest.
                mstore(add(buf, add(2, shl(2, i))), shl(224, mload(add(shape, shl(5, add(i, 1))))))
            }
            let len := add(2, shl(2, rank))
            mstore(add(buf, len), dataRoot)
            if iszero(staticcall(gas(), 0x02, buf, add(len, 32), 0x00, 0x20)) { revert(0, 0) }
            root := mload(0x00)
        }
    }

    /// @notice The root a claimed opening of elements [first, first + count) leads to, in the
    ///         layout of `leafBytes` leaves. `leaves` holds every covering leaf in full (as
    ///         hashed); compare the result with the committed tensor root.
    function processOpening(
        uint32[] memory shape,
        uint256 first,
        uint256 count,
        bytes calldata leaves,
        bytes32[] calldata proof,
        uint256 leafBytes
    ) internal view returns (bytes32) {
        uint256 n = elementCount(shape);
        if (count == 0 || first + count > n) revert TensorRangeInvalid(first, count, n);
        uint256 perLeaf = leafBytes / 4;
        uint256 startLeaf = first / perLeaf;
        uint256 span = (first + count - 1) / perLeaf + 1 - startLeaf;
        if (leaves.length != span * leafBytes) revert TensorLeavesLengthInvalid(leaves.length, span * leafBytes);
        uint256 leafTotal = leafCount(n, leafBytes);
        if (span == 1) return tensorRoot(shape, LibMerkle.processProof(sha256(leaves), startLeaf, leafTotal, proof));
        return tensorRoot(shape, LibMerkle.processRangeProof(hashLeaves(leaves, span, leafBytes), startLeaf, leafTotal, proof));
    }

    /// @notice The hashes of the first `count` leaves of `leafBytes` bytes each in `data`.
    function hashLeaves(bytes calldata data, uint256 count, uint256 leafBytes) internal view returns (bytes32[] memory hashes) {
        if (data.length < count * leafBytes) revert TensorLeavesLengthInvalid(data.length, count * leafBytes);
        hashes = new bytes32[](count);
        assembly ("memory-safe") {
            // Each leaf is copied to scratch past the free memory pointer and hashed from there.
            let scratch := mload(0x40)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                calldatacopy(scratch, add(data.offset, mul(i, leafBytes)), leafBytes)
                if iszero(staticcall(gas(), 0x02, scratch, leafBytes, add(hashes, shl(5, add(i, 1))), 0x20)) { revert(0, 0) }
            }
        }
    }

    /// @notice The fp32 bits of element `index` of an opening in the layout of `leafBytes` leaves
    ///         whose leaves start at the leaf of element `first`. Little-endian in the encoding,
    ///         returned as a uint32.
    function elementBits(bytes calldata leaves, uint256 first, uint256 index, uint256 leafBytes) internal pure returns (uint32) {
        uint256 perLeaf = leafBytes / 4;
        uint256 offset = (index - (first / perLeaf) * perLeaf) * 4;
        uint32 x = uint32(bytes4(leaves[offset:offset + 4]));
        // Byte swap: the encoding is little-endian, the EVM reads big-endian.
        return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
    }
}
