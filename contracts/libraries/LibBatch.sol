// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LibBatch
/// @notice Batch selection (docs/PROTOCOL.md §2.5), bit-identical to sdk/commit/dataset.ts.
library LibBatch {
    /// @notice The dataset has no records.
    error BatchEmptyDataset();

    /// @notice Index of the record at `slot` of the batch of `step`:
    ///         uint256(sha256(dataSeed || uint64 step || uint32 slot)) mod recordCount.
    function recordIndex(bytes32 dataSeed, uint64 step, uint32 slot, uint64 recordCount) internal pure returns (uint64) {
        if (recordCount == 0) revert BatchEmptyDataset();
        return uint64(uint256(sha256(abi.encodePacked(dataSeed, step, slot))) % recordCount);
    }
}
