// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Duration, Timestamp} from "../types/Time.sol";

/// @title IStakingVault
/// @notice Holds solver stake in one ERC-20 stake token. A solver stakes, asks to unstake, waits
///         `unstakeDelay()`, then withdraws. The market locks stake while a solver holds a job,
///         unlocks it when the job finalizes and slashes it when the solver loses or expires.
///         Locked stake can never be withdrawn; only the market (wired once) may lock, unlock or slash.
/// @dev Per account: `free = staked - locked - pendingUnstake`. The vault keeps
///      `locked + pendingUnstake <= staked` and holds exactly `sum(staked)` stake tokens.
interface IStakingVault {
    /// @notice One account's stake.
    /// @param staked Tokens deposited and not yet withdrawn or slashed.
    /// @param locked Part of `staked` that backs claimed jobs; cannot be unstaked or withdrawn.
    /// @param pendingUnstake Part of `staked` waiting for the unstake delay; cannot be locked.
    /// @param unstakeAvailableAt When `pendingUnstake` becomes withdrawable.
    struct StakeAccount {
        uint128 staked;
        uint128 locked;
        uint128 pendingUnstake;
        Timestamp unstakeAvailableAt;
    }

    /// @notice `account` deposited `amount` stake tokens.
    event Staked(address indexed account, uint256 amount);
    /// @notice `account` asked to unstake; `pendingUnstake` is its total now waiting until `availableAt`.
    event UnstakeRequested(address indexed account, uint256 amount, uint256 pendingUnstake, Timestamp availableAt);
    /// @notice `account` withdrew `amount` stake tokens.
    event StakeWithdrawn(address indexed account, uint256 amount);
    /// @notice The market locked `amount` of `account`'s stake.
    event StakeLocked(address indexed account, uint256 amount);
    /// @notice The market unlocked `amount` of `account`'s stake.
    event StakeUnlocked(address indexed account, uint256 amount);
    /// @notice The market slashed `amount` of `account`'s locked stake and sent it to `recipient`.
    event StakeSlashed(address indexed account, uint256 amount, address indexed recipient);
    /// @notice The market was wired, once and for all.
    event MarketSet(address indexed market);

    /// @notice A zero amount was given where a positive one is needed.
    error StakingZeroAmount();
    /// @notice `account` has only `free` unlocked, non-pending stake; `requested` is more.
    error StakingInsufficientFree(address account, uint256 requested, uint256 free);
    /// @notice `account` has only `locked` locked stake; the market asked to release or slash `requested`.
    error StakingInsufficientLocked(address account, uint256 requested, uint256 locked);
    /// @notice `account`'s pending unstake becomes withdrawable at `availableAt`, after `now_`.
    error StakingUnstakeNotReady(address account, Timestamp availableAt, Timestamp now_);
    /// @notice `account` has no pending unstake to withdraw.
    error StakingNothingToWithdraw(address account);
    /// @notice `caller` is not the market (or, for `setMarket`, not the deployer).
    error StakingUnauthorized(address caller);
    /// @notice The market was already set to `market`.
    error StakingMarketAlreadySet(address market);
    /// @notice A zero address was given for a required address.
    error StakingZeroAddress();
    /// @notice The vault's balance moved by `actual` in a transfer of `expected` (fee-on-transfer or lying token).
    error StakingTransferMismatch(uint256 expected, uint256 actual);

    /// @notice The one ERC-20 token staked here.
    function stakeToken() external view returns (IERC20);
    /// @notice How long a requested unstake waits before it can be withdrawn.
    function unstakeDelay() external view returns (Duration);
    /// @notice The market allowed to lock, unlock and slash (zero until wired).
    function market() external view returns (address);
    /// @notice The stake record of `account`.
    function stakeOf(address account) external view returns (StakeAccount memory);
    /// @notice Stake of `account` that the market may lock: `staked - locked - pendingUnstake`.
    function freeStakeOf(address account) external view returns (uint256);

    /// @notice Wires the market. Callable once, by the deployer, before any lock can happen.
    /// @param market_ The JobMarket.
    function setMarket(address market_) external;

    /// @notice Deposits `amount` stake tokens from the caller (needs an allowance). Rejects tokens
    ///         whose transfer does not move exactly `amount` into the vault.
    /// @param amount Tokens to stake, > 0.
    function stake(uint256 amount) external;

    /// @notice Moves `amount` of the caller's free stake to pending; withdrawable after
    ///         `unstakeDelay()` from now. A new request restarts the delay for the whole pending amount.
    /// @param amount Tokens to unstake, > 0 and <= free stake.
    function requestUnstake(uint256 amount) external;

    /// @notice Sends the caller's whole pending unstake to it, once its delay has passed.
    /// @return amount Tokens withdrawn.
    function withdrawStake() external returns (uint256 amount);

    /// @notice Locks `amount` of `account`'s free stake. Only the market.
    function lock(address account, uint256 amount) external;

    /// @notice Releases `amount` of `account`'s locked stake back to free. Only the market.
    function unlock(address account, uint256 amount) external;

    /// @notice Removes `amount` of `account`'s locked stake and transfers it to `recipient`. Only the market.
    function slash(address account, uint256 amount, address recipient) external;
}
