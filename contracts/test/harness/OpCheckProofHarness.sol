// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {OpDesc} from "../../types/OpDesc.sol";

/// @notice Exposes LibOpCheck.checkOpElement for the integration tests and the gas bench (apart
///         from the element and load harnesses: together they would exceed 24 KiB).
contract OpCheckProofHarness {
    /// @notice Emitted by the transaction entry point with its verdict (for gas measurement).
    event Checked(bool valid);

    /// @notice LibOpCheck.checkOpElement as a transaction (emits Checked), for gas figures.
    function checkOpElementTx(
        LibOpCheck.StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external {
        emit Checked(LibOpCheck.checkOpElement(roots, op, opIndex, opProof, element, inputs, output));
    }

    /// @notice checkOpElement with the gas it used inside the library (no calldata, no ABI decoding).
    function checkOpElementGas(
        LibOpCheck.StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool valid, uint256 gasUsed) {
        uint256 g = gasleft();
        valid = LibOpCheck.checkOpElement(roots, op, opIndex, opProof, element, inputs, output);
        gasUsed = g - gasleft();
    }

    /// @notice LibOpCheck.checkStateLink as a transaction (emits Checked with whether the link holds).
    function checkStateLinkTx(
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        bytes32 traceRoot,
        uint256 traceCount,
        uint256 tracePosition,
        uint256 element,
        LibOpCheck.StateLinkOpening calldata opening
    ) external {
        emit Checked(LibOpCheck.checkStateLink(stateRoot, stateCount, tensor, traceRoot, traceCount, tracePosition, element, opening));
    }

    /// @notice checkStateLink with the gas it used inside the library.
    function checkStateLinkGas(
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        bytes32 traceRoot,
        uint256 traceCount,
        uint256 tracePosition,
        uint256 element,
        LibOpCheck.StateLinkOpening calldata opening
    ) external view returns (bool holds, uint256 gasUsed) {
        uint256 g = gasleft();
        holds = LibOpCheck.checkStateLink(stateRoot, stateCount, tensor, traceRoot, traceCount, tracePosition, element, opening);
        gasUsed = g - gasleft();
    }
}
