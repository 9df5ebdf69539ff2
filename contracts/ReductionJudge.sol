// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IReductionJudge} from "./interfaces/IReductionJudge.sol";
import {LibChunk} from "./libraries/LibChunk.sol";
import {LibOpCheck} from "./libraries/LibOpCheck.sol";
import {OpDesc} from "./types/OpDesc.sol";

/// @title ReductionJudge
/// @notice The deployable face of LibChunk: the dispute game calls it for every move of a long
///         reduction's claim game.
contract ReductionJudge is IReductionJudge {
    /// @inheritdoc IReductionJudge
    function openReduction(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening calldata output,
        LibChunk.Claim[] calldata claims
    ) external view returns (bool valid, LibChunk.Node memory node) {
        return LibChunk.openTop(roots, op, opIndex, opProof, element, output, claims);
    }

    /// @inheritdoc IReductionJudge
    function refineClaims(
        LibChunk.Node calldata node,
        LibChunk.Claim calldata parent,
        bytes32[] calldata parentProof,
        LibChunk.Claim[] calldata claims
    ) external view returns (LibChunk.Node memory next) {
        return LibChunk.refine(node, parent, parentProof, claims);
    }

    /// @inheritdoc IReductionJudge
    function checkChunk(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 element,
        LibChunk.Node calldata node,
        LibChunk.Claim calldata claim,
        bytes32[] calldata claimProof,
        LibOpCheck.TensorOpening[] calldata inputs
    ) external view returns (bool holds) {
        return LibChunk.openChunk(roots, op, element, node, claim, claimProof, inputs);
    }
}
