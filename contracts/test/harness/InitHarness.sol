// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibInit} from "../../libraries/LibInit.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";

/// @notice Exposes LibInit and LibOpCheck.checkInitialElement for the TypeScript differential tests.
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

    /// @notice LibOpCheck.checkInitialElement.
    function checkInitialElement(
        uint32[] calldata layers,
        bytes32 initSeed,
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        uint256 element,
        LibOpCheck.StateLeafOpening calldata opening
    ) external view returns (bool) {
        return LibOpCheck.checkInitialElement(layers, initSeed, stateRoot, stateCount, tensor, element, opening);
    }
}
