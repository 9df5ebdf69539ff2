// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStakingVault} from "../../interfaces/IStakingVault.sol";
import {Timestamp} from "../../types/Time.sol";
import {MarketFixture} from "../utils/MarketFixture.sol";
import {vm} from "../utils/Vm.sol";

contract StakingVaultTest is MarketFixture {
    function test_withdrawStake_afterDelay_succeeds() public {
        stakeFor(solver, 5e18);
        vm.prank(solver);
        vault.requestUnstake(2e18);
        vm.warp(block.timestamp + UNSTAKE_DELAY);
        vm.prank(solver);
        assertEq(vault.withdrawStake(), 2e18, "withdrawn");
        assertEq(token.balanceOf(solver), 2e18, "received");
        assertEq(vault.stakeOf(solver).staked, 3e18, "left");
    }

    function test_withdrawStake_beforeDelay_reverts() public {
        stakeFor(solver, 5e18);
        vm.prank(solver);
        vault.requestUnstake(2e18);
        Timestamp at = vault.stakeOf(solver).unstakeAvailableAt;
        vm.warp(block.timestamp + UNSTAKE_DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakingVault.StakingUnstakeNotReady.selector, solver, at, Timestamp.wrap(uint40(block.timestamp))
            )
        );
        vm.prank(solver);
        vault.withdrawStake();
    }

    function test_withdrawStake_nothingPending_reverts() public {
        stakeFor(solver, 5e18);
        vm.expectRevert(abi.encodeWithSelector(IStakingVault.StakingNothingToWithdraw.selector, solver));
        vm.prank(solver);
        vault.withdrawStake();
    }

    function test_requestUnstake_lockedStake_reverts() public {
        postAndClaim(1e18, 5e18, 1);
        vm.expectRevert(abi.encodeWithSelector(IStakingVault.StakingInsufficientFree.selector, solver, 1, 0));
        vm.prank(solver);
        vault.requestUnstake(1);
    }

    function test_lock_notMarket_reverts() public {
        stakeFor(solver, 5e18);
        vm.expectRevert(abi.encodeWithSelector(IStakingVault.StakingUnauthorized.selector, address(this)));
        vault.lock(solver, 1);
    }

    function test_setMarket_twice_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IStakingVault.StakingMarketAlreadySet.selector, address(market)));
        vault.setMarket(address(this));
    }

    /// @notice Nobody but the market can slash, whoever calls and however much.
    function testFuzz_slash_notMarket_reverts(address caller, uint256 amount) public {
        vm.assume(caller != address(market));
        postAndClaim(1e18, 5e18, 1);
        vm.expectRevert(abi.encodeWithSelector(IStakingVault.StakingUnauthorized.selector, caller));
        vm.prank(caller);
        vault.slash(solver, amount, caller);
    }

    /// @notice Whatever is staked, locked and requested, the locked part can never leave through withdrawStake.
    function testFuzz_withdrawStake_lockedNeverWithdrawable(uint128 staked, uint128 locked, uint128 unstake) public {
        staked = uint128(bound(staked, MIN_STAKE, 1e30));
        locked = uint128(bound(locked, MIN_STAKE, staked));
        postAndClaim(1e18, locked, 1);
        if (staked > locked) stakeFor(solver, staked - locked);
        uint256 free = vault.freeStakeOf(solver);
        unstake = uint128(bound(unstake, 1, free + 1e18));
        if (unstake > free) {
            vm.expectRevert(
                abi.encodeWithSelector(IStakingVault.StakingInsufficientFree.selector, solver, unstake, free)
            );
            vm.prank(solver);
            vault.requestUnstake(unstake);
            return;
        }
        vm.prank(solver);
        vault.requestUnstake(unstake);
        vm.warp(block.timestamp + UNSTAKE_DELAY);
        vm.prank(solver);
        vault.withdrawStake();
        IStakingVault.StakeAccount memory a = vault.stakeOf(solver);
        assertEq(a.locked, locked, "locked intact");
        assertTrue(a.staked >= a.locked, "locked backed");
        assertEq(token.balanceOf(address(vault)), a.staked, "vault holds the stake");
    }
}
