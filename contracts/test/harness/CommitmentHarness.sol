// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibBatch} from "../../libraries/LibBatch.sol";
import {LibMerkle} from "../../libraries/LibMerkle.sol";
import {LibTensor} from "../../libraries/LibTensor.sol";
import {JobSpec} from "../../types/JobSpec.sol";

/// @notice Exposes the commitment libraries for the TypeScript differential tests.
contract CommitmentHarness {
    function processRangeProof(bytes32[] memory leaves, uint256 start, uint256 leafCount, bytes32[] calldata proof)
        external
        view
        returns (bytes32)
    {
        return LibMerkle.processRangeProof(leaves, start, leafCount, proof);
    }

    function tensorRoot(uint32[] memory shape, bytes32 dataRoot) external view returns (bytes32) {
        return LibTensor.tensorRoot(shape, dataRoot);
    }

    /// @notice Verifies an opening in the layout of `leafBytes` leaves against `root` and returns
    ///         the opened fp32 bits.
    function openTensor(
        bytes32 root,
        uint32[] memory shape,
        uint256 first,
        uint256 count,
        bytes calldata leaves,
        bytes32[] calldata proof,
        uint256 leafBytes
    ) external view returns (bool ok, uint32[] memory bits) {
        ok = LibTensor.processOpening(shape, first, count, leaves, proof, leafBytes) == root;
        bits = new uint32[](count);
        for (uint256 i = 0; i < count; ++i) {
            bits[i] = LibTensor.elementBits(leaves, first, first + i, leafBytes);
        }
    }

    function recordIndex(bytes32 dataSeed, uint64 step, uint32 slot, uint64 recordCount) external pure returns (uint64) {
        return LibBatch.recordIndex(dataSeed, step, slot, recordCount);
    }

    function verifyRecord(bytes32 root, uint256 index, uint256 recordCount, bytes calldata record, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return LibMerkle.processProof(sha256(record), index, recordCount, proof) == root;
    }

    function specHash(JobSpec calldata spec) external pure returns (bytes32) {
        return spec.specHash();
    }
}
