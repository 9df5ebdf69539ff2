// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title LibTransfer
/// @notice The one balance-checked way tokens move in and out of the protocol's contracts:
///         `SafeERC20` for the call, and this contract's balance before and after for the amount
///         that really moved. The caller compares it with what it asked for and reverts with its
///         own error, so a fee-on-transfer or lying token fails loudly instead of corrupting a ledger.
library LibTransfer {
    using SafeERC20 for IERC20;

    /// @notice Pulls `amount` of `token` from `from` (needs an allowance).
    /// @return received By how much this contract's balance grew (0 if it fell).
    function pull(IERC20 token, address from, uint256 amount) internal returns (uint256 received) {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        return gainedSince(token, before);
    }

    /// @notice Sends `amount` of `token` to `to`.
    /// @return sent By how much this contract's balance fell (0 if it grew).
    function push(IERC20 token, address to, uint256 amount) internal returns (uint256 sent) {
        uint256 before = token.balanceOf(address(this));
        token.safeTransfer(to, amount);
        uint256 afterwards = token.balanceOf(address(this));
        return afterwards > before ? 0 : before - afterwards;
    }

    /// @notice By how much this contract's balance of `token` grew since it was `before` (0 if it fell),
    ///         for inflows another contract makes (a slash sent here).
    function gainedSince(IERC20 token, uint256 before) internal view returns (uint256) {
        uint256 afterwards = token.balanceOf(address(this));
        return afterwards < before ? 0 : afterwards - before;
    }
}
