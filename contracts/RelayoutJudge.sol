// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IRelayoutJudge} from "./interfaces/IRelayoutJudge.sol";
import {LibOpCheck} from "./libraries/LibOpCheck.sol";
import {OpDesc} from "./types/OpDesc.sol";

/// @title RelayoutJudge
/// @notice The deployable face of LibOpCheck.checkRelayoutElement (spec-v2 kinds 20..25); the
///         ElementJudge creates it in its constructor and forwards those kinds to it.
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
}
