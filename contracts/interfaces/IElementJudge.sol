// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibOpCheck} from "../libraries/LibOpCheck.sol";
import {OpDesc} from "../types/OpDesc.sol";
import {IDisputeGame} from "./IDisputeGame.sol";
import {IReductionJudge} from "./IReductionJudge.sol";
import {IRelayoutJudge} from "./IRelayoutJudge.sol";
import {ISpecReader} from "./ISpecReader.sol";
import {LibInit} from "../libraries/LibInit.sol";

/// @title IElementJudge
/// @notice Stateless adjudication of one op output element (docs/PROTOCOL.md §4): proves the op
///         descriptor, the input slices and the output element against the step's roots, then
///         decides the tolerance rule. Its own deployable so the dispute game stays under the
///         contract size limit; it holds no state and no funds.
interface IElementJudge {
    /// @notice A sub-judge given to the constructor has no code.
    error ElementJudgeNotAContract(address judge);

    /// @notice See LibOpCheck.checkOpElement (kinds 3..19) and, for the spec-v2 kinds 20..25,
    ///         LibOpCheck.checkRelayoutElement. Reverts with an OpCheck* (or Relayout*) error on a
    ///         bad proof.
    function checkOpElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool valid);

    /// @notice See LibOpCheck.checkLoadElement. Reverts with an OpCheck* error on a bad proof.
    function checkLoadElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.DataContext calldata data,
        LibOpCheck.RecordOpening calldata record,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool valid);

    /// @notice See LibOpCheck.checkStateLink: whether the trace holds the state leaf's bytes.
    ///         Reverts with OpCheckStateLeafInvalid when the block is not the state's.
    function checkStateLink(
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        bytes32 traceRoot,
        uint256 traceCount,
        uint256 tracePosition,
        uint256 element,
        LibOpCheck.StateLinkOpening calldata opening
    ) external view returns (bool holds);

    /// @notice See LibOpCheck.checkInitialElement: whether checkpoint 0 holds the spec's initial
    ///         value at the element. Reverts with OpCheckStateLeafInvalid when the block is not the state's.
    function checkInitialElement(
        LibInit.InitTensor calldata init,
        bytes32 initSeed,
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        uint256 element,
        LibOpCheck.StateLeafOpening calldata opening
    ) external view returns (bool holds);

    /// @notice See LibOpCheck.checkDataPart: the tensor's leaf count when the part proves against
    ///         `root` (tensor `part.tensor` of `count`), 0 when it does not.
    function checkDataPart(bytes32 root, uint256 count, IDisputeGame.DataPart calldata part, uint256 leafBytes)
        external
        view
        returns (uint256 leafTotal);

    /// @notice The judge of long reductions' claim games.
    function reductions() external view returns (IReductionJudge);

    /// @notice The judge of the spec-v2 kinds (relayouts, pooling, AdamW).
    function relayoutJudge() external view returns (IRelayoutJudge);

    /// @notice The reader of job specs (both versions) the dispute game uses.
    function specReader() external view returns (ISpecReader);
}
