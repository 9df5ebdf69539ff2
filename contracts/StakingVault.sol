// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IStakingVault} from "./interfaces/IStakingVault.sol";
import {LibTransfer} from "./libraries/LibTransfer.sol";
import {Duration, LibTime, Timestamp} from "./types/Time.sol";

/// @title StakingVault
/// @notice Solver stake: stake -> requestUnstake -> wait `unstakeDelay` -> withdrawStake.
///         The market (wired once by the deployer) locks, unlocks and slashes.
contract StakingVault is IStakingVault, ReentrancyGuardTransient {
    using SafeCast for uint256;

    /// @inheritdoc IStakingVault
    IERC20 public immutable stakeToken;
    /// @inheritdoc IStakingVault
    Duration public immutable unstakeDelay;
    /// @inheritdoc IStakingVault
    address public market;

    /// @dev The account allowed to call `setMarket` once.
    address private immutable _deployer;
    mapping(address account => StakeAccount) private _accounts;

    /// @param stakeToken_ The token solvers stake.
    /// @param unstakeDelay_ Wait between `requestUnstake` and `withdrawStake`.
    constructor(IERC20 stakeToken_, Duration unstakeDelay_) {
        if (address(stakeToken_) == address(0)) revert StakingZeroAddress();
        stakeToken = stakeToken_;
        unstakeDelay = unstakeDelay_;
        _deployer = msg.sender;
    }

    modifier onlyMarket() {
        if (msg.sender != market || msg.sender == address(0)) revert StakingUnauthorized(msg.sender);
        _;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IStakingVault
    function stakeOf(address account) external view returns (StakeAccount memory) {
        return _accounts[account];
    }

    /// @inheritdoc IStakingVault
    function freeStakeOf(address account) public view returns (uint256) {
        StakeAccount storage a = _accounts[account];
        return uint256(a.staked) - a.locked - a.pendingUnstake;
    }

    // ------------------------------------------------------------------ wiring

    /// @inheritdoc IStakingVault
    function setMarket(address market_) external {
        if (msg.sender != _deployer) revert StakingUnauthorized(msg.sender);
        if (market != address(0)) revert StakingMarketAlreadySet(market);
        if (market_ == address(0)) revert StakingZeroAddress();
        market = market_;
        emit MarketSet(market_);
    }

    // ------------------------------------------------------------------ stakers

    /// @inheritdoc IStakingVault
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        StakeAccount storage a = _accounts[msg.sender];
        a.staked = (uint256(a.staked) + amount).toUint128();
        emit Staked(msg.sender, amount);
        uint256 received = LibTransfer.pull(stakeToken, msg.sender, amount);
        if (received != amount) revert StakingTransferMismatch(amount, received);
    }

    /// @inheritdoc IStakingVault
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        uint256 free = freeStakeOf(msg.sender);
        if (amount > free) revert StakingInsufficientFree(msg.sender, amount, free);
        StakeAccount storage a = _accounts[msg.sender];
        // Cannot overflow uint128: pendingUnstake + amount <= staked.
        uint128 pending = a.pendingUnstake + uint128(amount);
        Timestamp availableAt = LibTime.now_().plus(unstakeDelay);
        a.pendingUnstake = pending;
        a.unstakeAvailableAt = availableAt;
        emit UnstakeRequested(msg.sender, amount, pending, availableAt);
    }

    /// @inheritdoc IStakingVault
    function withdrawStake() external nonReentrant returns (uint256 amount) {
        StakeAccount storage a = _accounts[msg.sender];
        amount = a.pendingUnstake;
        if (amount == 0) revert StakingNothingToWithdraw(msg.sender);
        Timestamp now_ = LibTime.now_();
        if (a.unstakeAvailableAt > now_) {
            revert StakingUnstakeNotReady(msg.sender, a.unstakeAvailableAt, now_);
        }
        // Cannot underflow: pendingUnstake <= staked.
        a.staked -= uint128(amount);
        a.pendingUnstake = 0;
        emit StakeWithdrawn(msg.sender, amount);
        _pushExact(msg.sender, amount);
    }

    // ------------------------------------------------------------------ market

    /// @inheritdoc IStakingVault
    function lock(address account, uint256 amount) external onlyMarket {
        uint256 free = freeStakeOf(account);
        if (amount > free) revert StakingInsufficientFree(account, amount, free);
        StakeAccount storage a = _accounts[account];
        // Cannot overflow uint128: locked + amount <= staked.
        a.locked += uint128(amount);
        emit StakeLocked(account, amount);
    }

    /// @inheritdoc IStakingVault
    function unlock(address account, uint256 amount) external onlyMarket {
        StakeAccount storage a = _accounts[account];
        if (amount > a.locked) revert StakingInsufficientLocked(account, amount, a.locked);
        a.locked -= uint128(amount);
        emit StakeUnlocked(account, amount);
    }

    /// @inheritdoc IStakingVault
    function slash(address account, uint256 amount, address recipient) external onlyMarket nonReentrant {
        StakeAccount storage a = _accounts[account];
        if (amount > a.locked) revert StakingInsufficientLocked(account, amount, a.locked);
        a.locked -= uint128(amount);
        a.staked -= uint128(amount);
        emit StakeSlashed(account, amount, recipient);
        _pushExact(recipient, amount);
    }

    /// @dev Sends `amount` and checks the vault's balance fell by exactly that.
    function _pushExact(address to, uint256 amount) private {
        uint256 sent = LibTransfer.push(stakeToken, to, amount);
        if (sent != amount) revert StakingTransferMismatch(amount, sent);
    }
}
