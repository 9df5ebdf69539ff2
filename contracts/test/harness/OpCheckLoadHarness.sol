// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {OpDesc} from "../../types/OpDesc.sol";

/// @notice Exposes LibOpCheck.checkLoadElement (data-load ops) and the descriptor leaf for the
///         integration tests.
contract OpCheckLoadHarness {
    /// @notice LibOpCheck.checkLoadElement (view).
    function checkLoadElement(
        LibOpCheck.StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.DataContext memory data,
        LibOpCheck.RecordOpening calldata record,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool) {
        return LibOpCheck.checkLoadElement(roots, op, opIndex, opProof, element, data, record, output);
    }

    /// @notice The descriptor's leaf, sha256(abi.encode(op)).
    /// @notice The descriptor's leaf, sha256(abi.encode(op)) (§3.1).
    function opLeaf(OpDesc calldata op) external pure returns (bytes32) {
        return sha256(abi.encode(op));
    }
}
