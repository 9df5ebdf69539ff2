// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TestToken} from "../../dev/TestToken.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {IStakingVault} from "../../interfaces/IStakingVault.sol";
import {JobMarket} from "../../JobMarket.sol";
import {LibCheckpoints} from "../../libraries/LibCheckpoints.sol";
import {JobId} from "../../types/JobId.sol";
import {Duration, Timestamp} from "../../types/Time.sol";
import {MarketFixture} from "../utils/MarketFixture.sol";
import {vm} from "../utils/Vm.sol";

contract JobMarketTest is MarketFixture {
    uint128 internal constant PAY = 100e18;
    uint128 internal constant STAKE = 10e18;

    // ------------------------------------------------------------------ post / cancel

    function test_postJob_escrowsPayment_succeeds() public {
        JobId id = post(PAY, STAKE, 4);
        assertEq(JobId.unwrap(id), 1, "first id");
        assertEq(token.balanceOf(address(market)), PAY, "escrowed");
        IJobMarket.Job memory job = market.getJob(id);
        assertEq(uint256(job.status), uint256(IJobMarket.JobStatus.Open), "status");
        assertEq(job.submitter, submitter, "submitter");
        assertEq(job.checkpointCount, 4, "count");
    }

    function test_postJob_tokenNotAllowed_reverts() public {
        TestToken other = new TestToken("O", "O", 18);
        IJobMarket.PostJobParams memory p = params(PAY, STAKE, 4);
        p.token = other;
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketTokenNotAllowed.selector, other));
        market.postJob(p);
    }

    function test_postJob_invalidParameters_reverts() public {
        IJobMarket.PostJobParams memory p = params(PAY, STAKE, 4);
        p.specHash = 0;
        _expectInvalid(p, "specHash");
        p = params(PAY, STAKE, 0);
        _expectInvalid(p, "checkpointCount");
        p = params(PAY, STAKE, LibCheckpoints.MAX_CHECKPOINTS + 1);
        _expectInvalid(p, "checkpointCount");
        p = params(0, STAKE, 4);
        _expectInvalid(p, "payment");
        p = params(PAY, MIN_STAKE - 1, 4);
        _expectInvalid(p, "solverStake");
        p = params(PAY, STAKE, 4);
        p.claimDeadline = Timestamp.wrap(uint40(block.timestamp));
        _expectInvalid(p, "claimDeadline");
        p = params(PAY, STAKE, 4);
        p.trainingDuration = Duration.wrap(0);
        _expectInvalid(p, "trainingDuration");
        p = params(PAY, STAKE, 4);
        p.challengeWindow = Duration.wrap(MIN_WINDOW - 1);
        _expectInvalid(p, "challengeWindow");
    }

    function _expectInvalid(IJobMarket.PostJobParams memory p, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobInvalidParameter.selector, field));
        market.postJob(p);
    }

    function test_cancelJob_bySubmitter_succeeds() public {
        JobId id = post(PAY, STAKE, 4);
        vm.prank(submitter);
        market.cancelJob(id);
        assertEq(uint256(status(id)), uint256(IJobMarket.JobStatus.Cancelled), "status");
        assertEq(credit(submitter), PAY, "refund credited");
        vm.prank(submitter);
        market.withdraw(token);
        assertEq(token.balanceOf(submitter), PAY, "refund withdrawn");
        assertEq(token.balanceOf(address(market)), 0, "market empty");
    }

    function test_cancelJob_notSubmitter_reverts() public {
        JobId id = post(PAY, STAKE, 4);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCallerNotSubmitter.selector, id, solver));
        vm.prank(solver);
        market.cancelJob(id);
    }

    function test_cancelJob_afterClaim_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobUnexpectedStatus.selector, id, IJobMarket.JobStatus.Claimed, IJobMarket.JobStatus.Open
            )
        );
        vm.prank(submitter);
        market.cancelJob(id);
    }

    function test_cancelJob_twice_reverts() public {
        JobId id = post(PAY, STAKE, 4);
        vm.prank(submitter);
        market.cancelJob(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobUnexpectedStatus.selector, id, IJobMarket.JobStatus.Cancelled, IJobMarket.JobStatus.Open
            )
        );
        vm.prank(submitter);
        market.cancelJob(id);
    }

    // ------------------------------------------------------------------ claim

    function test_claimJob_locksStake_succeeds() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        assertEq(uint256(status(id)), uint256(IJobMarket.JobStatus.Claimed), "status");
        assertEq(vault.stakeOf(solver).locked, STAKE, "locked");
        assertEq(vault.freeStakeOf(solver), 0, "free");
        assertEq(Timestamp.unwrap(market.getJob(id).trainingDeadline), block.timestamp + TRAINING, "deadline");
    }

    function test_claimJob_afterDeadline_reverts() public {
        JobId id = post(PAY, STAKE, 4);
        stakeFor(solver, STAKE);
        vm.warp(block.timestamp + CLAIM_WINDOW + 1);
        vm.expectRevert();
        vm.prank(solver);
        market.claimJob(id);
    }

    function test_claimJob_insufficientStake_reverts() public {
        JobId id = post(PAY, STAKE, 4);
        stakeFor(solver, STAKE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IStakingVault.StakingInsufficientFree.selector, solver, STAKE, STAKE - 1)
        );
        vm.prank(solver);
        market.claimJob(id);
    }

    function test_claimJob_pendingUnstakeNotFree_reverts() public {
        JobId id = post(PAY, STAKE, 4);
        stakeFor(solver, STAKE);
        vm.prank(solver);
        vault.requestUnstake(1);
        vm.expectRevert(
            abi.encodeWithSelector(IStakingVault.StakingInsufficientFree.selector, solver, STAKE, STAKE - 1)
        );
        vm.prank(solver);
        market.claimJob(id);
    }

    function test_claimJob_unknownJob_reverts() public {
        JobId id = JobId.wrap(42);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobUnexpectedStatus.selector, id, IJobMarket.JobStatus.None, IJobMarket.JobStatus.Open
            )
        );
        market.claimJob(id);
    }

    // ------------------------------------------------------------------ checkpoints

    function test_commitCheckpoint_inOrder_succeeds() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        (bytes32 head, uint32 committed) = market.checkpointChain(id);
        assertEq(head, LibCheckpoints.EMPTY, "claim starts the chain");
        assertEq(committed, 0, "none yet");
        commitUpTo(id, 4);
        (head, committed) = market.checkpointChain(id);
        assertEq(head, chainHead(4), "head binds every root in order");
        assertEq(committed, 4, "committed");
    }

    function test_commitCheckpoint_skipsIndex_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCheckpointOutOfOrder.selector, id, uint32(1), uint32(0)));
        vm.prank(solver);
        market.commitCheckpoint(id, 1, root(1), "");
    }

    function test_commitCheckpoint_overwrite_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        commitUpTo(id, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCheckpointOutOfOrder.selector, id, uint32(1), uint32(2)));
        vm.prank(solver);
        market.commitCheckpoint(id, 1, root(9), "");
    }

    function test_intervalRoots_committedSuffix_returnsBothRoots() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        commitUpTo(id, 4);
        for (uint32 i = 0; i < 3; ++i) {
            (bytes32 lo, bytes32 hi) = market.intervalRoots(id, i, proofOf(i, 4));
            assertEq(lo, root(i), "lo");
            assertEq(hi, root(i + 1), "hi");
        }
    }

    function test_intervalRoots_wrongOrStaleOrShort_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        commitUpTo(id, 3);
        IJobMarket.CheckpointProof memory p = proofOf(1, 3);
        p.roots[1] = root(9);
        _expectProofInvalid(id, 1, p);
        // Stale: built before the solver committed checkpoint 3.
        p = proofOf(1, 3);
        vm.prank(solver);
        market.commitCheckpoint(id, 3, root(3), "");
        _expectProofInvalid(id, 1, p);
        // Short: checkpoint 4 (the final one) is not committed, so interval 3 has no upper root.
        _expectProofInvalid(id, 3, proofOf(3, 4));
        // A forged prefix cannot stand in for the committed ones.
        p = proofOf(1, 4);
        p.prefix = LibCheckpoints.EMPTY;
        _expectProofInvalid(id, 1, p);
    }

    function _expectProofInvalid(JobId id, uint32 interval, IJobMarket.CheckpointProof memory p) internal {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCheckpointProofInvalid.selector, id, interval));
        market.intervalRoots(id, interval, p);
    }

    function test_commitCheckpoint_finalIndex_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 2);
        commitUpTo(id, 2);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobCheckpointIndexOutOfRange.selector, id, uint32(2), uint32(2))
        );
        vm.prank(solver);
        market.commitCheckpoint(id, 2, root(2), "");
    }

    function test_commitCheckpoint_notSolver_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCallerNotSolver.selector, id, submitter));
        vm.prank(submitter);
        market.commitCheckpoint(id, 0, root(0), "");
    }

    function test_commitCheckpoint_zeroRoot_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobStateRootZero.selector, id));
        vm.prank(solver);
        market.commitCheckpoint(id, 0, 0, "");
    }

    function test_commitCheckpoint_afterDeadline_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.warp(block.timestamp + TRAINING + 1);
        vm.expectRevert();
        vm.prank(solver);
        market.commitCheckpoint(id, 0, root(0), "");
    }

    function test_submitFinal_missingCheckpoint_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 3);
        commitUpTo(id, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCheckpointMissing.selector, id, uint32(2)));
        vm.prank(solver);
        market.submitFinal(id, root(3), "");
    }

    function test_submitFinal_twice_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobUnexpectedStatus.selector, id, IJobMarket.JobStatus.Submitted, IJobMarket.JobStatus.Claimed
            )
        );
        vm.prank(solver);
        market.submitFinal(id, root(2), "");
    }

    // ------------------------------------------------------------------ finalize / withdraw

    function test_finalize_afterWindow_succeeds() public {
        JobId id = postClaimSubmit(PAY, STAKE, 3);
        (bytes32 head, uint32 committed) = market.checkpointChain(id);
        assertEq(head, chainHead(4), "the final root closes the chain");
        assertEq(committed, 4, "final counted");
        assertTrue(!market.isFinalizable(id), "not yet");
        vm.warp(block.timestamp + MIN_WINDOW + 1);
        assertTrue(market.isFinalizable(id), "finalizable");
        market.finalize(id);
        assertEq(uint256(status(id)), uint256(IJobMarket.JobStatus.Finalized), "status");
        assertEq(credit(solver), PAY, "solver credited");
        assertEq(vault.stakeOf(solver).locked, 0, "unlocked");
        vm.prank(solver);
        assertEq(market.withdraw(token), PAY, "withdrawn");
        assertEq(token.balanceOf(solver), PAY, "paid");
    }

    function test_finalize_insideWindow_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 1);
        Timestamp deadline = market.getJob(id).challengeDeadline;
        vm.warp(Timestamp.unwrap(deadline));
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobChallengeWindowOpen.selector, id, deadline, deadline)
        );
        market.finalize(id);
    }

    function test_finalize_twice_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 1);
        vm.warp(block.timestamp + MIN_WINDOW + 1);
        market.finalize(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobUnexpectedStatus.selector, id, IJobMarket.JobStatus.Finalized, IJobMarket.JobStatus.Submitted
            )
        );
        market.finalize(id);
    }

    function test_finalize_disputeOpen_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 1);
        vm.prank(game);
        market.openDispute(id);
        vm.warp(block.timestamp + MIN_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobDisputesOpen.selector, id, uint24(1)));
        market.finalize(id);
        vm.prank(game);
        market.closeDispute(id, IJobMarket.DisputeOutcome.SolverWon);
        market.finalize(id);
        assertEq(credit(solver), PAY, "paid after the dispute closed");
    }

    function test_withdraw_nothing_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNothingToWithdraw.selector, solver, token));
        vm.prank(solver);
        market.withdraw(token);
    }

    function test_withdraw_twice_reverts() public {
        JobId id = post(PAY, STAKE, 1);
        vm.prank(submitter);
        market.cancelJob(id);
        vm.prank(submitter);
        market.withdraw(token);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketNothingToWithdraw.selector, submitter, token));
        vm.prank(submitter);
        market.withdraw(token);
    }

    // ------------------------------------------------------------------ expiry

    function test_expire_afterDeadline_succeeds() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        commitUpTo(id, 2);
        assertTrue(!market.isExpirable(id), "not yet");
        vm.warp(block.timestamp + TRAINING + 1);
        assertTrue(market.isExpirable(id), "expirable");
        market.expire(id);
        assertEq(uint256(status(id)), uint256(IJobMarket.JobStatus.Expired), "status");
        uint256 submitterShare = uint256(STAKE) * EXPIRY_SUBMITTER_BPS / 10_000;
        assertEq(credit(submitter), PAY + submitterShare, "refund + share");
        assertEq(credit(treasury), STAKE - submitterShare, "treasury");
        assertEq(vault.stakeOf(solver).staked, 0, "stake gone");
        assertEq(vault.stakeOf(solver).locked, 0, "lock gone");
        assertEq(token.balanceOf(address(market)), PAY + STAKE, "market holds credits");
    }

    function test_expire_beforeDeadline_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.expectRevert();
        market.expire(id);
    }

    function test_expire_submittedJob_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 1);
        vm.warp(block.timestamp + TRAINING + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IJobMarket.JobUnexpectedStatus.selector, id, IJobMarket.JobStatus.Submitted, IJobMarket.JobStatus.Claimed
            )
        );
        market.expire(id);
    }

    function test_expire_disputeOpen_reverts() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        commitUpTo(id, 2);
        vm.prank(game);
        market.openDispute(id);
        vm.warp(block.timestamp + TRAINING + 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobDisputesOpen.selector, id, uint24(1)));
        market.expire(id);
    }

    // ------------------------------------------------------------------ dispute hooks

    function test_slash_submittedJob_succeeds() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.prank(game);
        market.openDispute(id);
        vm.prank(game);
        market.slash(id, challenger);
        assertEq(uint256(status(id)), uint256(IJobMarket.JobStatus.Slashed), "status");
        uint256 c = uint256(STAKE) * CHALLENGER_BPS / 10_000;
        uint256 s = uint256(STAKE) * SUBMITTER_BPS / 10_000;
        assertEq(credit(challenger), c, "challenger");
        assertEq(credit(submitter), PAY + s, "submitter");
        assertEq(credit(treasury), STAKE - c - s, "treasury");
        assertEq(market.getJob(id).openDisputes, 0, "dispute closed");
        assertEq(vault.stakeOf(solver).staked, 0, "stake slashed");
    }

    function test_slash_claimedJob_succeeds() public {
        JobId id = postAndClaim(PAY, STAKE, 4);
        commitUpTo(id, 2);
        vm.prank(game);
        market.openDispute(id);
        vm.prank(game);
        market.slash(id, challenger);
        assertEq(uint256(status(id)), uint256(IJobMarket.JobStatus.Slashed), "status");
    }

    function test_slash_notDisputeGame_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.prank(game);
        market.openDispute(id);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketCallerNotDisputeGame.selector, challenger));
        vm.prank(challenger);
        market.slash(id, challenger);
    }

    function test_slash_noOpenDispute_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNoOpenDispute.selector, id));
        vm.prank(game);
        market.slash(id, challenger);
    }

    function test_slash_twice_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.startPrank(game);
        market.openDispute(id);
        market.openDispute(id);
        market.slash(id, challenger);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobNotDisputable.selector, id, IJobMarket.JobStatus.Slashed)
        );
        market.slash(id, challenger);
        // The second dispute can still be settled.
        market.closeDispute(id, IJobMarket.DisputeOutcome.ChallengerWon);
        vm.stopPrank();
        assertEq(market.getJob(id).openDisputes, 0, "all closed");
    }

    function test_openDispute_afterWindow_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.warp(block.timestamp + MIN_WINDOW + 1);
        vm.expectRevert();
        vm.prank(game);
        market.openDispute(id);
    }

    function test_openDispute_openJob_reverts() public {
        JobId id = post(PAY, STAKE, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNotDisputable.selector, id, IJobMarket.JobStatus.Open));
        vm.prank(game);
        market.openDispute(id);
    }

    function test_openDispute_notDisputeGame_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketCallerNotDisputeGame.selector, address(this)));
        market.openDispute(id);
    }

    function test_closeDispute_noneOpen_reverts() public {
        JobId id = postClaimSubmit(PAY, STAKE, 2);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobNoOpenDispute.selector, id));
        vm.prank(game);
        market.closeDispute(id, IJobMarket.DisputeOutcome.SolverWon);
    }

    // ------------------------------------------------------------------ wiring and owner

    function test_setDisputeGame_twice_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketDisputeGameAlreadySet.selector, game));
        market.setDisputeGame(challenger);
    }

    function test_setPaymentToken_notOwner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, solver));
        vm.prank(solver);
        market.setPaymentToken(token, false);
    }

    function test_setPaymentToken_disallowKeepsExistingJobs_succeeds() public {
        JobId id = post(PAY, STAKE, 1);
        market.setPaymentToken(token, false);
        vm.prank(submitter);
        market.cancelJob(id);
        vm.prank(submitter);
        market.withdraw(token);
        assertEq(token.balanceOf(submitter), PAY, "refund despite disallowed token");
    }

    function test_constructor_badSplit_reverts() public {
        IJobMarket.MarketParameters memory p = defaultParameters();
        p.challengerBps = 8_000;
        p.submitterBps = 2_001;
        IERC20[] memory tokens = new IERC20[](0);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobMarketInvalidParameters.selector, "challengerBps+submitterBps")
        );
        new JobMarket(vault, p, tokens, address(this));
    }

    // ------------------------------------------------------------------ fuzz

    /// Payouts of a slash add up to the stake, whatever the amounts, and the market stays solvent.
    function testFuzz_slash_splitsWholeStake(uint128 payment, uint128 stake) public {
        payment = uint128(bound(payment, 1, 1e30));
        stake = uint128(bound(stake, MIN_STAKE, 1e30));
        JobId id = postClaimSubmit(payment, stake, 1);
        vm.prank(game);
        market.openDispute(id);
        vm.prank(game);
        market.slash(id, challenger);
        assertEq(credit(challenger) + credit(submitter) + credit(treasury), uint256(payment) + stake, "split");
        assertEq(token.balanceOf(address(market)), uint256(payment) + stake, "solvent");
    }

    /// Expiry pays the submitter its escrow and splits the stake, for any amounts and lateness.
    function testFuzz_expire_splitsWholeStake(uint128 payment, uint128 stake, uint32 late) public {
        payment = uint128(bound(payment, 1, 1e30));
        stake = uint128(bound(stake, MIN_STAKE, 1e30));
        JobId id = postAndClaim(payment, stake, 2);
        vm.warp(block.timestamp + TRAINING + 1 + bound(late, 0, 365 days));
        market.expire(id);
        assertEq(credit(submitter) + credit(treasury), uint256(payment) + stake, "split");
        assertEq(token.balanceOf(address(market)), uint256(payment) + stake, "solvent");
    }

    /// Only the solver can commit, any other caller reverts.
    function testFuzz_commitCheckpoint_otherCaller_reverts(address caller) public {
        vm.assume(caller != solver);
        JobId id = postAndClaim(PAY, STAKE, 4);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCallerNotSolver.selector, id, caller));
        vm.prank(caller);
        market.commitCheckpoint(id, 0, root(0), "");
    }

    /// Only the dispute game can open disputes or slash.
    function testFuzz_slash_unauthorised_reverts(address caller) public {
        vm.assume(caller != game);
        JobId id = postClaimSubmit(PAY, STAKE, 1);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketCallerNotDisputeGame.selector, caller));
        vm.prank(caller);
        market.openDispute(id);
        vm.prank(game);
        market.openDispute(id);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobMarketCallerNotDisputeGame.selector, caller));
        vm.prank(caller);
        market.slash(id, caller);
    }

    /// Out-of-order commits never land: index i only right after 0..i-1 (no gap, no rewrite).
    function testFuzz_commitCheckpoint_outOfOrder_reverts(uint32 committed, uint32 index) public {
        committed = uint32(bound(committed, 0, 7));
        index = uint32(bound(index, 0, 7));
        vm.assume(index != committed);
        JobId id = postAndClaim(PAY, STAKE, 8);
        commitUpTo(id, committed);
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCheckpointOutOfOrder.selector, id, index, committed));
        vm.prank(solver);
        market.commitCheckpoint(id, index, root(index), "");
    }
}
