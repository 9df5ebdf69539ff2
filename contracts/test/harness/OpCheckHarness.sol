// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibExactSum} from "../../libraries/LibExactSum.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";

/// @notice Exposes LibOpCheck's element verdicts for the TypeScript differential tests.
contract OpCheckHarness {
    /// @notice One element check of LibOpCheck.checkElement.
    struct Case {
        uint8 kind;
        uint32[] params;
        uint32[] a;
        uint32[] b;
        uint32 y;
    }

    /// @notice LibOpCheck.checkElement.
    function checkElement(uint8 kind, uint32[] memory params, uint32[] memory a, uint32[] memory b, uint32 y)
        external
        pure
        returns (bool)
    {
        return LibOpCheck.checkElement(kind, params, a, b, y);
    }

    /// @notice Many checkElement cases in one call; verdicts in order.
    function checkElements(Case[] memory cases) external pure returns (bool[] memory valid) {
        valid = new bool[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) {
            Case memory c = cases[i];
            valid[i] = LibOpCheck.checkElement(c.kind, c.params, c.a, c.b, c.y);
        }
    }

    /// @notice LibOpCheck.checkLoadX over parallel arrays.
    function checkLoadXs(uint8[] memory enc, uint32[] memory raw, uint32[] memory y) external pure returns (bool[] memory valid) {
        valid = new bool[](y.length);
        for (uint256 i = 0; i < y.length; ++i) {
            valid[i] = LibOpCheck.checkLoadX(enc[i], raw[i], y[i]);
        }
    }

    /// @notice LibOpCheck.checkLoadY over parallel arrays.
    function checkLoadYs(uint8[] memory enc, uint32[] memory raw, uint32[] memory column, uint32[] memory y)
        external
        pure
        returns (bool[] memory valid)
    {
        valid = new bool[](y.length);
        for (uint256 i = 0; i < y.length; ++i) {
            valid[i] = LibOpCheck.checkLoadY(enc[i], raw[i], column[i], y[i]);
        }
    }

    /// @notice checkDot on rows already packed in memory, with the gas of the check alone.
    function dotGas(uint32[] memory a, uint32[] memory b, uint32 y) external view returns (bool valid, uint256 gasUsed) {
        uint256 pa = LibExactSum.packLE(a);
        uint256 pb = LibExactSum.packLE(b);
        uint256 g = gasleft();
        valid = LibOpCheck.checkDot(pa, pb, a.length, y);
        gasUsed = g - gasleft();
    }

}
