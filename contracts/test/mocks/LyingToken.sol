// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A token that lies. Modes: `Honest`; `NoOp` (transfer/transferFrom return true and move
///         nothing); `Phantom` (transfers move "phantom" balances that were never minted, and
///         balanceOf reports them: a receipt is faked consistently).
contract LyingToken is ERC20 {
    enum Mode {
        Honest,
        NoOp,
        Phantom
    }

    Mode public mode;
    mapping(address => uint256) public phantom;

    constructor() ERC20("Liar", "LIE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (mode == Mode.NoOp) return true;
        if (mode == Mode.Phantom) return _phantomMove(msg.sender, to, value);
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (mode == Mode.NoOp) return true;
        if (mode == Mode.Phantom) return _phantomMove(from, to, value);
        return super.transferFrom(from, to, value);
    }

    function balanceOf(address account) public view override returns (uint256) {
        return super.balanceOf(account) + phantom[account];
    }

    function _phantomMove(address from, address to, uint256 value) private returns (bool) {
        uint256 p = phantom[from];
        phantom[from] = p > value ? p - value : 0;
        phantom[to] += value;
        return true;
    }
}
