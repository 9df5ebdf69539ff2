// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibInit} from "../libraries/LibInit.sol";

/// @title ISpecReader
/// @notice Reads a job spec from its canonical bytes (abi.encode of the version's tuple, whose
///         sha256 is the job's specHash), for either version (docs/PROTOCOL.md §2.6, §3.4): the
///         fields the dispute game needs, and each state tensor's initial-value rule. Pure; its
///         own deployable so the dispute game stays under the contract size limit.
interface ISpecReader {
    /// @notice The spec's version word is neither 1 nor 2.
    error SpecVersionUnsupported(uint256 version);
    /// @notice A v2 layer word list that does not parse, at word `at` (an off-chain validated spec never has one).
    error SpecLayersInvalid(uint256 at);

    /// @notice What the dispute game reads from a spec of either version.
    struct SpecView {
        uint16 version;
        uint64 steps;
        uint32 checkpointInterval;
        bytes32 graphRoot;
        bytes32 initSeed;
        /// @dev The AdamW schedule table's root (zero for SGD-momentum and for v1).
        bytes32 scheduleRoot;
        bytes32 datasetRoot;
        uint64 recordCount;
        bytes32 dataSeed;
        /// @dev Values per record's input (the input shape's product) and per target.
        uint32 featureCount;
        uint32 outputCount;
        uint8 featureEncoding;
        uint8 labelEncoding;
    }

    /// @notice The fields of `spec` the game reads. Reverts with SpecVersionUnsupported or SpecLayersInvalid.
    function read(bytes calldata spec) external pure returns (SpecView memory);

    /// @notice State tensor `tensor`'s initial rule (§3.2 state order); `exists` is false past the state.
    function initTensor(bytes calldata spec, uint256 tensor) external pure returns (bool exists, LibInit.InitTensor memory init);
}
