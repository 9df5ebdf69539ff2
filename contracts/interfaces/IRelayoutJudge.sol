// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibOpAdam} from "../libraries/LibOpAdam.sol";
import {LibOpCheck} from "../libraries/LibOpCheck.sol";
import {OpDesc} from "../types/OpDesc.sol";

/// @title IRelayoutJudge
/// @notice Stateless adjudication of one output element of a spec-v2 op (docs/PROTOCOL.md §4.1,
///         codes 20-25: RESHAPE, PATCHES, PERMUTE, ROW_MEAN, MAXPOOL_GRAD, AVGPOOL_GRAD; and the
///         AdamW codes 26-29 with the step's schedule row). The ElementJudge is deployed with it
///         and forwards kinds 20-25 to it: both in one contract would exceed the contract size
///         limit. It holds no state and no funds.
interface IRelayoutJudge {
    /// @notice See LibOpCheck.checkRelayoutElement. Reverts with an OpCheck* or Relayout* error on
    ///         a bad proof or a descriptor whose params do not fit its shapes.
    function checkOpElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool valid);

    /// @notice See LibOpCheck.checkAdamElement: `schedule` (the job's scheduleRoot, its step count
    ///         and the disputed step) comes from the caller, `row` from the solver. Reverts with an
    ///         OpCheck* error on a bad proof, AdamScheduleRowInvalid on a bad row and
    ///         AdamParamsInvalid on a descriptor whose params do not fit its kind.
    function checkAdamElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output,
        LibOpAdam.Schedule calldata schedule,
        LibOpAdam.ScheduleRow calldata row
    ) external view returns (bool valid);
}
