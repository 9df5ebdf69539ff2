// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRelayoutJudge} from "./interfaces/IRelayoutJudge.sol";
import {LibOpAdam} from "./libraries/LibOpAdam.sol";
import {LibOpCheck} from "./libraries/LibOpCheck.sol";
import {OpDesc} from "./types/OpDesc.sol";

/// @title RelayoutJudge
/// @notice The deployable face of LibOpCheck's spec-v2 checks: checkRelayoutElement (kinds
///         20..25), which the ElementJudge forwards to it, and checkAdamElement (26..29).
contract RelayoutJudge is IRelayoutJudge {
    /// @inheritdoc IRelayoutJudge
    function checkOpElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool) {
        return LibOpCheck.checkRelayoutElement(roots, op, opIndex, opProof, element, inputs, output);
    }

    /// @inheritdoc IRelayoutJudge
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
    ) external view returns (bool) {
        return LibOpCheck.checkAdamElement(roots, op, opIndex, opProof, element, inputs, output, schedule, row);
    }
}
