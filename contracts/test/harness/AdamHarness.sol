// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibOpAdam} from "../../libraries/LibOpAdam.sol";

/// @notice Exposes the AdamW verdicts (LibOpAdam) for the TypeScript differential tests.
contract AdamHarness {
    /// @notice One element check of LibOpAdam.checkElement (params with the schedule row's values).
    struct Case {
        uint8 kind;
        uint32[] params;
        uint32 a;
        uint32 b;
        uint32 y;
    }

    /// @notice Many LibOpAdam.checkElement cases in one call; verdicts in order.
    function checkElements(Case[] memory cases) external pure returns (bool[] memory valid) {
        valid = new bool[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) {
            Case memory c = cases[i];
            valid[i] = LibOpAdam.checkElement(c.kind, c.params, c.a, c.b, c.y);
        }
    }
}
