// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibInit} from "../../libraries/LibInit.sol";

/// @notice Exposes LibInit for the TypeScript differential tests (checkInitialElement is tested through ElementJudge).
contract InitHarness {
    /// @notice LibInit.glorotLimit.
    function glorotLimit(uint256 fanSum) external pure returns (uint32) {
        return LibInit.glorotLimit(fanSum);
    }

    /// @notice LibInit.weightBits for many elements of one layer.
    function weightBits(bytes32 seed, uint256 layer, uint256[] calldata elements, uint256 fanSum) external pure returns (uint32[] memory bits) {
        uint32 limit = LibInit.glorotLimit(fanSum);
        bits = new uint32[](elements.length);
        for (uint256 i = 0; i < elements.length; ++i) {
            bits[i] = LibInit.weightBits(seed, layer, elements[i], limit);
        }
    }
}
