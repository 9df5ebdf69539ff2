// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {IStakingVault} from "../../interfaces/IStakingVault.sol";
import {StakingVault} from "../../StakingVault.sol";
import {JobId} from "../../types/JobId.sol";
import {Duration} from "../../types/Time.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {LyingToken} from "../mocks/LyingToken.sol";
import {ReentrantToken} from "../mocks/ReentrantToken.sol";
import {MarketFixture} from "../utils/MarketFixture.sol";
import {vm} from "../utils/Vm.sol";

/// A token the deployment allowed by mistake can neither steal the market's other funds nor lock them.
contract MaliciousTokensTest is MarketFixture {
    uint128 internal constant PAY = 100e18;
    uint128 internal constant STAKE = 10e18;

    function _postWith(IERC20 t, uint128 payment) internal returns (JobId) {
        IJobMarket.PostJobParams memory p = params(payment, STAKE, 1);
        p.token = t;
        vm.prank(submitter);
        return market.postJob(p);
    }

    function test_postJob_feeOnTransferToken_reverts() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        market.setPaymentToken(fee, true);
        fee.mint(submitter, PAY);
        vm.prank(submitter);
        fee.approve(address(market), PAY);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketTransferMismatch.selector, fee, PAY, PAY - PAY / 100));
        _postWith(fee, PAY);
    }

    function test_stake_feeOnTransferToken_reverts() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        StakingVault v = new StakingVault(fee, Duration.wrap(1));
        fee.mint(solver, 100);
        vm.prank(solver);
        fee.approve(address(v), 100);
        vm.expectRevert(abi.encodeWithSelector(IStakingVault.StakingTransferMismatch.selector, 100, 99));
        vm.prank(solver);
        v.stake(100);
    }

    function test_postJob_noOpToken_reverts() public {
        LyingToken liar = new LyingToken();
        market.setPaymentToken(liar, true);
        liar.setMode(LyingToken.Mode.NoOp);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketTransferMismatch.selector, liar, PAY, 0));
        _postWith(liar, PAY);
    }

    /// A token that fakes receipts gets a job escrowed with nothing behind it, but the credit is in
    /// that token only: the honest token's escrow is untouched and still withdrawable.
    function test_withdraw_fakeReceiptTokenCannotDrainOthers_succeeds() public {
        JobId honest = post(PAY, STAKE, 1);
        LyingToken liar = new LyingToken();
        market.setPaymentToken(liar, true);
        liar.setMode(LyingToken.Mode.Phantom);
        // The submitter holds no liar tokens; the liar reports a receipt anyway.
        JobId fake = _postWith(liar, PAY);
        vm.prank(submitter);
        market.cancelJob(fake);
        assertEq(market.creditOf(submitter, liar), PAY, "credit in the liar only");
        assertEq(credit(submitter), 0, "no credit in the honest token");
        vm.prank(submitter);
        market.cancelJob(honest);
        vm.prank(submitter);
        market.withdraw(token);
        assertEq(token.balanceOf(submitter), PAY, "honest refund intact");
        assertEq(token.balanceOf(address(market)), 0, "honest ledger closed");
    }

    /// A withdrawal the token lies about (reports success, moves nothing) reverts, keeping the credit.
    function test_withdraw_noOpToken_reverts() public {
        LyingToken liar = new LyingToken();
        market.setPaymentToken(liar, true);
        liar.mint(submitter, PAY);
        vm.prank(submitter);
        liar.approve(address(market), PAY);
        JobId id = _postWith(liar, PAY);
        vm.prank(submitter);
        market.cancelJob(id);
        liar.setMode(LyingToken.Mode.NoOp);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketTransferMismatch.selector, liar, PAY, 0));
        vm.prank(submitter);
        market.withdraw(liar);
        assertEq(market.creditOf(submitter, liar), PAY, "credit kept");
    }

    /// A token that re-enters withdraw during a withdrawal is stopped by the guard; nothing is paid twice.
    function test_withdraw_reentrantToken_cannotDoublePay() public {
        ReentrantToken re = new ReentrantToken();
        market.setPaymentToken(re, true);
        re.mint(submitter, 2 * PAY);
        vm.prank(submitter);
        re.approve(address(market), 2 * PAY);
        JobId a = _postWith(re, PAY);
        JobId b = _postWith(re, PAY);
        vm.startPrank(submitter);
        market.cancelJob(a);
        market.cancelJob(b);
        vm.stopPrank();
        // Credit is 2*PAY. During the payout the token calls market.withdraw again (as the token).
        re.arm(address(market), abi.encodeCall(IJobMarket.withdraw, (IERC20(address(re)))));
        vm.prank(submitter);
        market.withdraw(re);
        assertTrue(re.reentered(), "token re-entered");
        assertTrue(!re.reentrySucceeded(), "re-entry blocked");
        assertEq(
            bytes32(re.reentryResult()),
            bytes32(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector),
            "blocked by the guard"
        );
        assertEq(re.balanceOf(submitter), 2 * PAY, "paid once");
        assertEq(re.balanceOf(address(market)), 0, "nothing left");
    }

    /// A token that re-enters postJob while being pulled cannot create a second escrow from one transfer.
    function test_postJob_reentrantToken_cannotDoubleCount() public {
        ReentrantToken re = new ReentrantToken();
        market.setPaymentToken(re, true);
        re.mint(submitter, PAY);
        vm.prank(submitter);
        re.approve(address(market), PAY);
        IJobMarket.PostJobParams memory p = params(PAY, STAKE, 1);
        p.token = re;
        re.arm(address(market), abi.encodeCall(IJobMarket.postJob, (p)));
        vm.prank(submitter);
        market.postJob(p);
        assertTrue(re.reentered() && !re.reentrySucceeded(), "re-entry blocked");
        assertEq(JobId.unwrap(market.lastJobId()), 1, "one job");
        assertEq(re.balanceOf(address(market)), PAY, "one escrow");
    }
}
