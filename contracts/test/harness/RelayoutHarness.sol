// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibOpPool} from "../../libraries/LibOpPool.sol";
import {LibOpRelayout} from "../../libraries/LibOpRelayout.sol";
import {OpDesc} from "../../types/OpDesc.sol";

/// @notice Exposes the spec-v2 verdicts (LibOpPool) and index math (LibOpRelayout) for the
///         TypeScript differential tests.
contract RelayoutHarness {
    /// @notice One element check of LibOpPool.checkElement.
    struct Case {
        uint8 kind;
        uint32[] params;
        uint32[] a;
        uint32[] b;
        uint32 y;
        uint256 position;
    }

    /// @notice Many LibOpPool.checkElement cases in one call; verdicts in order.
    function checkElements(Case[] memory cases) external pure returns (bool[] memory valid) {
        valid = new bool[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) {
            Case memory c = cases[i];
            valid[i] = LibOpPool.checkElement(c.kind, c.params, c.a, c.b, c.y, c.position);
        }
    }

    /// @notice LibOpRelayout.reads for each of `elements`.
    function reads(OpDesc calldata op, uint256[] calldata elements) external pure returns (LibOpRelayout.Reads[] memory r) {
        r = new LibOpRelayout.Reads[](elements.length);
        for (uint256 i = 0; i < elements.length; ++i) {
            r[i] = LibOpRelayout.reads(op, elements[i]);
        }
    }
}
