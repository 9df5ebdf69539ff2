// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibChunk} from "../libraries/LibChunk.sol";
import {LibOpCheck} from "../libraries/LibOpCheck.sol";
import {OpDesc} from "../types/OpDesc.sol";

/// @title IReductionJudge
/// @notice Stateless adjudication of one element of a long reduction by claims over its chunks
///         (docs/PROTOCOL.md §4.5, §5 step 4b). Its own deployable (created by ElementJudge) so that
///         both judges stay under the contract size limit; it holds no state and no funds.
interface IReductionJudge {
    /// @notice See LibChunk.openTop: the top move of a long reduction (§5 step 4b). Reverts on a
    ///         bad proof, a kind that is not a reduction, a length outside (CHUNK_TERMS, MAX_TERMS],
    ///         a wrong number of claims or a malformed claim.
    /// @return valid The verdict on y from the claims' combination.
    /// @return node The claim-tree node the game continues from.
    function openReduction(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening calldata output,
        LibChunk.Claim[] calldata claims
    ) external view returns (bool valid, LibChunk.Node memory node);

    /// @notice See LibChunk.refine: the node one level down, after the solver refined the chosen
    ///         claim into `claims`. Reverts when `parent` is not the chosen claim, the count is wrong,
    ///         a claim is malformed or the claims do not combine to `parent`.
    function refineClaims(
        LibChunk.Node calldata node,
        LibChunk.Claim calldata parent,
        bytes32[] calldata parentProof,
        LibChunk.Claim[] calldata claims
    ) external view returns (LibChunk.Node memory next);

    /// @notice See LibChunk.openChunk: whether the chosen chunk claim holds for the opened terms.
    ///         Reverts on a bad proof of the claim or of the openings.
    function checkChunk(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 element,
        LibChunk.Node calldata node,
        LibChunk.Claim calldata claim,
        bytes32[] calldata claimProof,
        LibOpCheck.TensorOpening[] calldata inputs
    ) external view returns (bool holds);
}
