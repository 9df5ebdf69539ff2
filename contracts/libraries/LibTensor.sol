// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibMerkle} from "./LibMerkle.sol";

/// @title LibTensor
/// @notice Tensor commitments (docs/PROTOCOL.md §2.1), bit-identical to sdk/commit/tensor.ts:
///         fp32 little-endian elements in 2048-byte leaves (the last zero padded), a LibMerkle tree
///         over the leaf hashes, tensorRoot = sha256(dtype u8 || rank u8 || dims u32 BE || dataRoot).
library LibTensor {
    uint256 internal constant LEAF_BYTES = 2048;
    uint256 internal constant ELEMENTS_PER_LEAF = 512;
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

    /// @notice Number of leaves of a tensor of `elements` elements (at least one).
    function leafCount(uint256 elements) internal pure returns (uint256) {
        uint256 n = (elements + ELEMENTS_PER_LEAF - 1) / ELEMENTS_PER_LEAF;
        return n == 0 ? 1 : n;
    }

    /// @notice dtype || rank || dims, big-endian.
    function encodeShape(uint32[] memory shape) internal pure returns (bytes memory enc) {
        elementCount(shape);
        enc = abi.encodePacked(DTYPE_FP32, uint8(shape.length));
        for (uint256 i = 0; i < shape.length; ++i) {
            enc = bytes.concat(enc, bytes4(shape[i]));
        }
    }

    /// @notice sha256(shapeEncoding || dataRoot).
    function tensorRoot(uint32[] memory shape, bytes32 dataRoot) internal pure returns (bytes32) {
        return sha256(bytes.concat(encodeShape(shape), dataRoot));
    }

    /// @notice The root a claimed opening of elements [first, first + count) leads to. `leaves`
    ///         holds every covering leaf in full (2048 bytes each, as hashed); compare the result
    ///         with the committed tensor root.
    function processOpening(
        uint32[] memory shape,
        uint256 first,
        uint256 count,
        bytes calldata leaves,
        bytes32[] calldata proof
    ) internal view returns (bytes32) {
        uint256 n = elementCount(shape);
        if (count == 0 || first + count > n) revert TensorRangeInvalid(first, count, n);
        uint256 startLeaf = first / ELEMENTS_PER_LEAF;
        uint256 span = (first + count - 1) / ELEMENTS_PER_LEAF + 1 - startLeaf;
        if (leaves.length != span * LEAF_BYTES) revert TensorLeavesLengthInvalid(leaves.length, span * LEAF_BYTES);
        bytes32[] memory hashes = new bytes32[](span);
        for (uint256 i = 0; i < span; ++i) {
            hashes[i] = sha256(leaves[i * LEAF_BYTES:(i + 1) * LEAF_BYTES]);
        }
        return tensorRoot(shape, LibMerkle.processRangeProof(hashes, startLeaf, leafCount(n), proof));
    }

    /// @notice The fp32 bits of element `index` of an opening whose leaves start at leaf
    ///         floor(first / 512). Little-endian in the encoding, returned as a uint32.
    function elementBits(bytes calldata leaves, uint256 first, uint256 index) internal pure returns (uint32) {
        uint256 offset = (index - (first / ELEMENTS_PER_LEAF) * ELEMENTS_PER_LEAF) * 4;
        bytes4 le = bytes4(leaves[offset:offset + 4]);
        uint32 x = uint32(le);
        // Byte swap: the encoding is little-endian, the EVM reads big-endian.
        return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
    }
}
