// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {JobId} from "../../types/JobId.sol";
import {Duration, Timestamp} from "../../types/Time.sol";
import {DisputeFixture} from "../utils/DisputeFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Several disputes on one job: played one at a time, oldest first; the others accept no
///         move and their clocks stand still; one that the solver loses settles the job for all.
contract DisputeQueueTest is DisputeFixture {
    JobId internal job;
    address internal second;
    address internal third;
    uint256 internal d1;
    uint256 internal d2;

    function setUp() public override {
        super.setUp();
        second = makeAddr("second challenger");
        third = makeAddr("third challenger");
        job = submittedJob();
        d1 = challengeAs(challenger, job, 1);
        d2 = challengeAs(second, job, 0);
    }

    function _queued(uint256 disputeId, uint256 active) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeQueued.selector, disputeId, active));
    }

    function test_challenge_secondDispute_isQueued_succeeds() public view {
        assertEq(dispute.activeDispute(job), d1, "the oldest is active");
        assertEq(market.getJob(job).openDisputes, 2, "both open in the market");
        assertEq(token.balanceOf(address(dispute)), 2 * BOND, "both bonds held");
        (address who, Duration left) = dispute.mover(d2);
        assertEq(who, solver, "solver to move");
        assertEq(Duration.unwrap(left), CLOCK, "full clock");
    }

    function test_moves_queuedDispute_reverts() public {
        _queued(d2, d1);
        vm.prank(solver);
        dispute.postMidpoint(d2, keccak256("mid"));
        _queued(d2, d1);
        dispute.timeout(d2);
        vm.warp(block.timestamp + 10 * CLOCK);
        _queued(d2, d1);
        dispute.timeout(d2);
    }

    function test_mover_queuedClockStandsStill_succeeds() public {
        vm.warp(block.timestamp + 2 * CLOCK);
        (, Duration left) = dispute.mover(d2);
        assertEq(Duration.unwrap(left), CLOCK, "queued: still full");
        (, left) = dispute.mover(d1);
        assertEq(Duration.unwrap(left), 0, "active: ran out");
    }

    function test_resolve_solverWins_activatesNextWithFullClocks_succeeds() public {
        vm.warp(block.timestamp + 100);
        toOpening(d1, 1, 0);
        vm.warp(block.timestamp + 500);
        vm.expectEmit();
        emit IDisputeGame.DisputeActivated(d2, job);
        openElement(d1);
        assertEq(dispute.activeDispute(job), d2, "next in line");
        IDisputeGame.Dispute memory d = dispute.getDispute(d2);
        assertEq(Timestamp.unwrap(d.lastMoveAt), block.timestamp, "its clock starts now");
        assertEq(Duration.unwrap(d.solverClock), CLOCK, "solver's full budget");
        assertEq(Duration.unwrap(d.challengerClock), CLOCK, "challenger's full budget");
        assertEq(market.getJob(job).openDisputes, 1, "one left open");
        // It plays on: the solver must answer within its own clock again.
        vm.warp(block.timestamp + CLOCK - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeClockRunning.selector, d2, CLOCK, CLOCK - 1));
        dispute.timeout(d2);
        vm.prank(solver);
        dispute.postMidpoint(d2, keccak256("mid"));
    }

    /// The first dispute slashes the solver; the second, still live, can no longer win a stake and
    /// is abandoned: its challenger gets the bond back, and the market has no dispute left open.
    function test_abandon_afterAnotherDisputeSlashed_refundsBond_succeeds() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeNotAbandonable.selector, d2));
        dispute.abandon(d2);
        toOpening(d1, 1, 0);
        judge.setAll(false);
        openElement(d1);
        assertEq(uint8(market.getJob(job).status), uint8(IJobMarket.JobStatus.Slashed), "slashed");
        assertEq(dispute.activeDispute(job), d2, "second active");
        vm.expectEmit();
        emit IDisputeGame.DisputeResolved(d2, job, IDisputeGame.Stage.Abandoned);
        dispute.abandon(d2);
        assertEq(uint8(stageOf(d2)), uint8(IDisputeGame.Stage.Abandoned), "abandoned");
        assertEq(dispute.creditOf(second), BOND, "bond back");
        assertEq(dispute.creditOf(challenger), BOND, "the winner's bond back");
        assertEq(market.getJob(job).openDisputes, 0, "market: none open");
        assertEq(dispute.activeDispute(job), 0, "queue empty");
        assertEq(market.creditOf(second, token), 0, "no share of a stake already taken");
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeGame.DisputeUnexpectedStage.selector, d2, IDisputeGame.Stage.Abandoned, IDisputeGame.Stage.None)
        );
        dispute.abandon(d2);
    }

    /// A dispute whose solver another dispute slashed can still be played to the end: winning it
    /// returns the bond and closes the market dispute, but slashes nothing twice.
    function test_challengerWins_afterAnotherDisputeSlashed_noSecondSlash_succeeds() public {
        toOpening(d1, 1, 0);
        judge.setAll(false);
        openElement(d1);
        uint256 treasuryBefore = market.creditOf(treasury, token);
        toOpening(d2, 2, 1);
        openElement(d2);
        assertEq(uint8(stageOf(d2)), uint8(IDisputeGame.Stage.ChallengerWon), "challenger won");
        assertEq(dispute.creditOf(second), BOND, "bond back");
        assertEq(market.creditOf(second, token), 0, "no stake left to share");
        assertEq(market.creditOf(treasury, token), treasuryBefore, "treasury untouched");
        assertEq(market.getJob(job).openDisputes, 0, "closed");
    }

    function test_abandon_depositHeld_refundsBondAndDeposit_succeeds() public {
        token.mint(second, BOND);
        toOpening(d1, 1, 0);
        judge.setAll(false);
        openElement(d1);
        vm.prank(solver);
        dispute.postMidpoint(d2, keccak256("mid"));
        vm.prank(second);
        dispute.demandData(d2);
        dispute.abandon(d2);
        assertEq(dispute.creditOf(second), 2 * BOND, "bond and deposit back");
        assertEq(token.balanceOf(address(dispute)), 3 * BOND, "game holds exactly the credits");
    }

    function test_queue_threeDisputes_fifo_succeeds() public {
        uint256 d3 = challengeAs(third, job, 1);
        _queued(d3, d1);
        vm.prank(solver);
        dispute.postMidpoint(d3, keccak256("mid"));
        // The first times out on the challenger's side: the solver wins it.
        vm.prank(solver);
        dispute.postMidpoint(d1, keccak256("mid"));
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(d1);
        assertEq(dispute.activeDispute(job), d2, "second");
        _queued(d3, d2);
        dispute.timeout(d3);
        toOpening(d2, 0, 0);
        openElement(d2);
        assertEq(dispute.activeDispute(job), d3, "third");
        vm.prank(solver);
        dispute.postMidpoint(d3, keccak256("mid"));
        assertEq(dispute.creditOf(solver), 2 * BOND, "two bonds won");
    }

    /// A queued dispute abandoned before its turn stays linked in the queue: when the one ahead of
    /// it resolves it becomes the (resolved) active dispute. No move or timeout can touch it, and
    /// only a Slashed job (no new challenge possible) gets there; recorded here as the behaviour.
    function test_abandon_queuedDispute_staysInLine_succeeds() public {
        uint256 d3 = challengeAs(third, job, 1);
        toOpening(d1, 1, 0);
        judge.setAll(false);
        openElement(d1);
        dispute.abandon(d3);
        assertEq(dispute.creditOf(third), BOND, "bond back at once");
        assertEq(dispute.activeDispute(job), d2, "second still active");
        dispute.abandon(d2);
        assertEq(dispute.activeDispute(job), d3, "the abandoned one is next in line");
        assertEq(market.getJob(job).openDisputes, 0, "market: none open");
        (address who,) = dispute.mover(d3);
        assertEq(who, address(0), "nobody to move");
    }
}
