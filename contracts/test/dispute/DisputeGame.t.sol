// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {DisputeGame} from "../../DisputeGame.sol";
import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {IElementJudge} from "../../interfaces/IElementJudge.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {JobMarket} from "../../JobMarket.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {LibTensor} from "../../libraries/LibTensor.sol";
import {StakingVault} from "../../StakingVault.sol";
import {JobId} from "../../types/JobId.sol";
import {JobSpec} from "../../types/JobSpec.sol";
import {Duration, Timestamp} from "../../types/Time.sol";
import {LyingToken} from "../mocks/LyingToken.sol";
import {ScriptedJudge} from "../mocks/ScriptedJudge.sol";
import {DisputeFixture} from "../utils/DisputeFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Every move of one dispute against the real market and vault, the judge scripted: who
///         may move, in which stage, on whose clock, and where the money goes.
contract DisputeGameTest is DisputeFixture {
    IDisputeGame.Stage internal constant NONE = IDisputeGame.Stage.None;
    IDisputeGame.Stage internal constant MIDPOINT = IDisputeGame.Stage.AwaitMidpoint;
    IDisputeGame.Stage internal constant CHOICE = IDisputeGame.Stage.AwaitChoice;
    IDisputeGame.Stage internal constant TRACE = IDisputeGame.Stage.AwaitTrace;
    IDisputeGame.Stage internal constant POINT = IDisputeGame.Stage.AwaitPoint;
    IDisputeGame.Stage internal constant OPENING = IDisputeGame.Stage.AwaitOpening;
    IDisputeGame.Stage internal constant STATE_DATA = IDisputeGame.Stage.AwaitStateData;
    IDisputeGame.Stage internal constant TRACE_DATA = IDisputeGame.Stage.AwaitTraceData;
    IDisputeGame.Stage internal constant SOLVER_WON = IDisputeGame.Stage.SolverWon;
    IDisputeGame.Stage internal constant CHALLENGER_WON = IDisputeGame.Stage.ChallengerWon;
    IDisputeGame.Stage internal constant ABANDONED = IDisputeGame.Stage.Abandoned;

    JobId internal job;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        job = submittedJob();
        id = challengeAs(challenger, job, 1);
    }

    function _stage(IDisputeGame.Stage expected, string memory what) internal view {
        assertEq(uint8(stageOf(id)), uint8(expected), what);
    }

    function _unexpected(uint256 disputeId, IDisputeGame.Stage current, IDisputeGame.Stage expected) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeUnexpectedStage.selector, disputeId, current, expected));
    }

    function _notParty(address caller, address expected) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeCallerNotParty.selector, id, caller, expected));
    }

    function _expired(uint32 left, uint32 elapsed) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeClockExpired.selector, id, left, elapsed));
    }

    function _unknown(uint256 disputeId) internal {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeUnknown.selector, disputeId));
    }

    // ------------------------------------------------------------------ constructor

    function test_constructor_zeroParameter_reverts() public {
        IJobMarket m = market;
        IElementJudge j = judge;
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeInvalidParameter.selector, "market"));
        new DisputeGame(IJobMarket(address(0)), j, token, BOND, Duration.wrap(CLOCK));
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeInvalidParameter.selector, "judge"));
        new DisputeGame(m, IElementJudge(address(0)), token, BOND, Duration.wrap(CLOCK));
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeInvalidParameter.selector, "bondToken"));
        new DisputeGame(m, j, IERC20(address(0)), BOND, Duration.wrap(CLOCK));
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeInvalidParameter.selector, "challengeBond"));
        new DisputeGame(m, j, token, 0, Duration.wrap(CLOCK));
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeInvalidParameter.selector, "clockBudget"));
        new DisputeGame(m, j, token, BOND, Duration.wrap(0));
    }

    // ------------------------------------------------------------------ challenge

    function test_challenge_opensActiveDispute_succeeds() public view {
        IDisputeGame.Dispute memory d = dispute.getDispute(id);
        assertEq(id, 1, "first id");
        assertEq(dispute.disputeCount(), 1, "count");
        assertEq(JobId.unwrap(d.jobId), JobId.unwrap(job), "job");
        assertEq(d.solver, solver, "solver");
        assertEq(d.challenger, challenger, "challenger");
        assertEq(d.bond, BOND, "bond");
        assertEq(d.lo, K, "lo = interval * k");
        assertEq(d.hi, 2 * K, "hi = lo + k");
        assertEq(d.loRoot, root(1), "loRoot");
        assertEq(d.hiRoot, root(2), "hiRoot");
        assertEq(Duration.unwrap(d.solverClock), CLOCK, "solver clock");
        assertEq(Duration.unwrap(d.challengerClock), CLOCK, "challenger clock");
        assertEq(Timestamp.unwrap(d.lastMoveAt), block.timestamp, "clock started");
        _stage(MIDPOINT, "solver posts the midpoint first");
        (uint32 ops, uint32 states) = dispute.graphCounts(id);
        assertEq(ops, OPS, "opCount");
        assertEq(states, STATES, "stateCount");
        assertEq(dispute.activeDispute(job), id, "active");
        (address who, Duration left) = dispute.mover(id);
        assertEq(who, solver, "mover");
        assertEq(Duration.unwrap(left), CLOCK, "left");
        assertEq(token.balanceOf(address(dispute)), BOND, "bond pulled");
        assertEq(market.getJob(job).openDisputes, 1, "market dispute open");
    }

    function test_challenge_oneStepInterval_startsAtTrace_succeeds() public {
        JobSpec memory spec = specOf();
        spec.checkpointInterval = 1;
        spec.datasetCid = "one-step";
        JobId j = jobFor(spec, solver, COUNT + 1);
        token.mint(challenger, BOND);
        vm.prank(challenger);
        uint256 d = dispute.challenge(j, 0, abi.encode(spec), fixtureGraph, proofOf(0, COUNT + 1));
        assertEq(uint8(stageOf(d)), uint8(TRACE), "k = 1 needs no bisection");
    }

    function test_challenge_specMismatch_reverts() public {
        JobSpec memory spec = specOf();
        spec.learningRate = 7;
        token.mint(challenger, BOND);
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeGame.DisputeSpecMismatch.selector, job, market.getJob(job).specHash, spec.specHash())
        );
        vm.prank(challenger);
        dispute.challenge(job, 0, abi.encode(spec), fixtureGraph, proofOf(0, COUNT + 1));
    }

    function test_challenge_graphMismatch_reverts() public {
        IDisputeGame.GraphCommitment memory g = graphOf();
        g.opCount += 1;
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeGraphMismatch.selector, specOf().graphRoot, graphRootOf(g)));
        vm.prank(challenger);
        dispute.challenge(job, 0, fixtureSpec, g, proofOf(0, COUNT + 1));
    }

    function test_challenge_zeroCheckpointInterval_reverts() public {
        JobSpec memory spec = specOf();
        spec.checkpointInterval = 0;
        JobId j = jobFor(spec, solver, COUNT + 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeSpecInvalid.selector, j, "checkpointInterval"));
        vm.prank(challenger);
        dispute.challenge(j, 0, abi.encode(spec), fixtureGraph, proofOf(0, COUNT + 1));
    }

    function test_challenge_badCheckpointProof_reverts() public {
        IJobMarket.CheckpointProof memory p = proofOf(0, COUNT + 1);
        p.roots[1] = keccak256("forged");
        vm.expectRevert(abi.encodeWithSelector(IJobMarket.JobCheckpointProofInvalid.selector, job, 0));
        vm.prank(challenger);
        dispute.challenge(job, 0, fixtureSpec, fixtureGraph, p);
    }

    function test_challenge_windowClosed_reverts() public {
        Timestamp deadline = market.getJob(job).challengeDeadline;
        vm.warp(Timestamp.unwrap(deadline) + 1);
        token.mint(challenger, BOND);
        vm.expectRevert(
            abi.encodeWithSelector(IJobMarket.JobChallengeWindowClosed.selector, job, deadline, Timestamp.wrap(uint40(block.timestamp)))
        );
        vm.prank(challenger);
        dispute.challenge(job, 0, fixtureSpec, fixtureGraph, proofOf(0, COUNT + 1));
    }

    function test_challenge_duringTraining_succeeds() public {
        JobSpec memory spec = specOf();
        spec.datasetCid = "training";
        JobId j = jobFor(spec, solver, COUNT);
        token.mint(challenger, BOND);
        vm.prank(challenger);
        uint256 d = dispute.challenge(j, 0, abi.encode(spec), fixtureGraph, proofOf(0, COUNT));
        assertEq(uint8(stageOf(d)), uint8(MIDPOINT), "claimed jobs are disputable");
        assertEq(uint8(market.getJob(j).status), uint8(IJobMarket.JobStatus.Claimed), "still training");
    }

    function test_challenge_withoutBond_reverts() public {
        address poor = makeAddr("poor");
        vm.prank(poor);
        vm.expectRevert();
        dispute.challenge(job, 0, fixtureSpec, fixtureGraph, proofOf(0, COUNT + 1));
        assertEq(dispute.disputeCount(), 1, "nothing opened");
    }

    function test_challenge_lyingBondToken_reverts() public {
        LyingToken liar = new LyingToken();
        StakingVault v = new StakingVault(liar, Duration.wrap(UNSTAKE_DELAY));
        IERC20[] memory tokens = new IERC20[](1);
        tokens[0] = liar;
        JobMarket m = new JobMarket(v, defaultParameters(), tokens, address(this));
        v.setMarket(address(m));
        DisputeGame g = new DisputeGame(m, judge, liar, BOND, Duration.wrap(CLOCK));
        m.setDisputeGame(address(g));
        // An honest life up to the challenge, then the token stops moving.
        liar.mint(submitter, PAY);
        liar.mint(solver, STAKE);
        vm.startPrank(submitter);
        liar.approve(address(m), PAY);
        IJobMarket.PostJobParams memory p = params(PAY, STAKE, COUNT);
        p.token = liar;
        p.specHash = specOf().specHash();
        JobId j = m.postJob(p);
        vm.stopPrank();
        vm.startPrank(solver);
        liar.approve(address(v), STAKE);
        v.stake(STAKE);
        m.claimJob(j);
        m.commitCheckpoint(j, 0, root(0), hex"01");
        m.commitCheckpoint(j, 1, root(1), hex"01");
        m.submitFinal(j, root(2), hex"01");
        vm.stopPrank();
        liar.setMode(LyingToken.Mode.NoOp);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeBondTransferMismatch.selector, BOND, 0));
        vm.prank(challenger);
        g.challenge(j, 0, fixtureSpec, fixtureGraph, proofOf(0, COUNT + 1));
    }

    // ------------------------------------------------------------------ postMidpoint

    function test_postMidpoint_chargesSolverClock_succeeds() public {
        vm.warp(block.timestamp + 100);
        bytes32 mid = keccak256("mid");
        vm.expectEmit();
        emit IDisputeGame.MidpointPosted(id, K + K / 2, mid);
        vm.prank(solver);
        dispute.postMidpoint(id, mid);
        IDisputeGame.Dispute memory d = dispute.getDispute(id);
        assertEq(d.midRoot, mid, "midRoot");
        assertEq(Duration.unwrap(d.solverClock), CLOCK - 100, "solver charged");
        assertEq(Duration.unwrap(d.challengerClock), CLOCK, "challenger untouched");
        assertEq(Timestamp.unwrap(d.lastMoveAt), block.timestamp, "challenger's clock starts");
        _stage(CHOICE, "challenger chooses");
        (address who,) = dispute.mover(id);
        assertEq(who, challenger, "mover");
    }

    function test_postMidpoint_unknownDispute_reverts() public {
        _unknown(99);
        vm.prank(solver);
        dispute.postMidpoint(99, keccak256("mid"));
    }

    function test_postMidpoint_notSolver_reverts() public {
        _notParty(challenger, solver);
        vm.prank(challenger);
        dispute.postMidpoint(id, keccak256("mid"));
    }

    function test_postMidpoint_wrongStage_reverts() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        _unexpected(id, CHOICE, MIDPOINT);
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid2"));
    }

    function test_postMidpoint_zeroRoot_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeRootZero.selector, id));
        vm.prank(solver);
        dispute.postMidpoint(id, bytes32(0));
    }

    function test_postMidpoint_clockRanOut_reverts() public {
        vm.warp(block.timestamp + CLOCK);
        _expired(CLOCK, CLOCK);
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
    }

    function test_postMidpoint_lastSecond_succeeds() public {
        vm.warp(block.timestamp + CLOCK - 1);
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        assertEq(Duration.unwrap(dispute.getDispute(id).solverClock), 1, "one second left");
    }

    // ------------------------------------------------------------------ chooseHalf

    function test_chooseHalf_left_succeeds() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.warp(block.timestamp + 10);
        vm.prank(challenger);
        dispute.chooseHalf(id, true);
        IDisputeGame.Dispute memory d = dispute.getDispute(id);
        assertEq(d.lo, K, "lo kept");
        assertEq(d.hi, K + K / 2, "hi = mid");
        assertEq(d.hiRoot, keccak256("mid"), "hiRoot = midRoot");
        assertEq(d.midRoot, bytes32(0), "midRoot cleared");
        assertEq(Duration.unwrap(d.challengerClock), CLOCK - 10, "challenger charged");
        _stage(MIDPOINT, "two steps left: bisect again");
    }

    function test_chooseHalf_right_succeeds() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.prank(challenger);
        dispute.chooseHalf(id, false);
        IDisputeGame.Dispute memory d = dispute.getDispute(id);
        assertEq(d.lo, K + K / 2, "lo = mid");
        assertEq(d.hi, 2 * K, "hi kept");
        assertEq(d.loRoot, keccak256("mid"), "loRoot = midRoot");
        assertEq(d.hiRoot, root(2), "hiRoot kept");
    }

    function test_chooseHalf_downToOneStep_awaitsTrace_succeeds() public {
        bisect(id);
        IDisputeGame.Dispute memory d = dispute.getDispute(id);
        assertEq(d.hi - d.lo, 1, "one step");
        _stage(TRACE, "solver posts the trace");
    }

    function test_chooseHalf_notChallenger_reverts() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        _notParty(solver, challenger);
        vm.prank(solver);
        dispute.chooseHalf(id, true);
    }

    function test_chooseHalf_wrongStage_reverts() public {
        _unexpected(id, MIDPOINT, CHOICE);
        vm.prank(challenger);
        dispute.chooseHalf(id, true);
    }

    function test_chooseHalf_unknownDispute_reverts() public {
        _unknown(7);
        vm.prank(challenger);
        dispute.chooseHalf(7, true);
    }

    function test_chooseHalf_clockRanOut_reverts() public {
        vm.warp(block.timestamp + 5);
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.warp(block.timestamp + CLOCK + 9);
        _expired(CLOCK, CLOCK + 9);
        vm.prank(challenger);
        dispute.chooseHalf(id, true);
    }

    // ------------------------------------------------------------------ demandData and publishData

    function _demandState() internal {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.prank(challenger);
        dispute.demandData(id);
    }

    function _cursor() internal view returns (uint256 tensor, uint256 leaf) {
        (uint32 t, uint32 l) = dispute.dataCursor(id);
        return (t, l);
    }

    function test_demandData_atChoice_awaitsState_succeeds() public {
        token.mint(challenger, BOND);
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.expectEmit();
        emit IDisputeGame.DataDemanded(id, STATE_DATA, BOND);
        vm.prank(challenger);
        dispute.demandData(id);
        _stage(STATE_DATA, "solver publishes the midpoint state");
        assertEq(token.balanceOf(address(dispute)), 2 * BOND, "deposit pulled");
        (address who,) = dispute.mover(id);
        assertEq(who, solver, "the solver's clock runs");
    }

    function test_demandData_atPoint_awaitsTrace_succeeds() public {
        token.mint(challenger, BOND);
        toPoint(id);
        vm.prank(challenger);
        dispute.demandData(id);
        _stage(TRACE_DATA, "solver publishes the trace");
    }

    function test_demandData_wrongStage_reverts() public {
        _unexpected(id, MIDPOINT, CHOICE);
        vm.prank(challenger);
        dispute.demandData(id);
    }

    function test_demandData_unknownDispute_reverts() public {
        _unknown(5);
        vm.prank(challenger);
        dispute.demandData(5);
    }

    function test_demandData_notChallenger_reverts() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        _notParty(solver, challenger);
        vm.prank(solver);
        dispute.demandData(id);
    }

    function test_demandData_clockRanOut_reverts() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.warp(block.timestamp + CLOCK);
        _expired(CLOCK, CLOCK);
        vm.prank(challenger);
        dispute.demandData(id);
    }

    function test_demandData_withoutDeposit_reverts() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.expectRevert();
        vm.prank(challenger);
        dispute.demandData(id);
        _stage(CHOICE, "nothing changed");
    }

    function test_publishData_wholeState_returnsToChallengerAndPaysDeposit_succeeds() public {
        token.mint(challenger, BOND);
        _demandState();
        uint256 leaf = LibTensor.STATE_LEAF_BYTES;
        vm.prank(solver);
        dispute.publishData(id, partOf(0, 0, 2, leaf));
        (uint256 t, uint256 l) = _cursor();
        assertEq(t, 1, "next tensor");
        assertEq(l, 0, "from its first leaf");
        _stage(STATE_DATA, "one tensor to go");
        assertEq(dispute.creditOf(solver), 0, "deposit held until complete");
        vm.prank(solver);
        dispute.publishData(id, partOf(1, 0, 1, leaf));
        _stage(CHOICE, "back to the challenger");
        assertEq(dispute.creditOf(solver), BOND, "deposit paid to the solver");
        (t, l) = _cursor();
        assertEq(t + l, 0, "cursor reset");
    }

    function test_publishData_partOfATensor_advancesLeaf_succeeds() public {
        token.mint(challenger, BOND);
        _demandState();
        judge.setDataVerdict(ScriptedJudge.DataVerdict.Continues);
        vm.prank(solver);
        dispute.publishData(id, partOf(0, 0, 3, LibTensor.STATE_LEAF_BYTES));
        (uint256 t, uint256 l) = _cursor();
        assertEq(t, 0, "same tensor");
        assertEq(l, 3, "after the three leaves");
    }

    function test_publishData_wholeTrace_returnsToPoint_succeeds() public {
        token.mint(challenger, BOND);
        toPoint(id);
        vm.prank(challenger);
        dispute.demandData(id);
        // The trace holds the state's STATES tensors and then one output per op.
        for (uint32 t = 0; t < STATES + OPS; ++t) {
            vm.prank(solver);
            dispute.publishData(id, partOf(t, 0, 1, LibTensor.TRACE_LEAF_BYTES));
        }
        _stage(POINT, "back to pointing");
        assertEq(dispute.creditOf(solver), BOND, "deposit paid");
    }

    function test_publishData_outOfOrder_reverts() public {
        token.mint(challenger, BOND);
        _demandState();
        uint256 leaf = LibTensor.STATE_LEAF_BYTES;
        IDisputeGame.DataPart[4] memory bad = [
            partOf(1, 0, 1, leaf), // wrong tensor
            partOf(0, 1, 1, leaf), // wrong leaf
            partOf(0, 0, 0, leaf), // no leaf
            partOf(0, 0, 1, leaf) // a partial leaf, below
        ];
        bad[3].leaves = new bytes(leaf + 1);
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeDataOutOfOrder.selector, id, 0, 0));
            vm.prank(solver);
            dispute.publishData(id, bad[i]);
        }
    }

    function test_publishData_invalidProof_reverts() public {
        token.mint(challenger, BOND);
        _demandState();
        judge.setDataVerdict(ScriptedJudge.DataVerdict.Invalid);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeDataInvalid.selector, id, 0));
        vm.prank(solver);
        dispute.publishData(id, partOf(0, 0, 1, LibTensor.STATE_LEAF_BYTES));
    }

    function test_publishData_notSolver_reverts() public {
        token.mint(challenger, BOND);
        _demandState();
        _notParty(challenger, solver);
        vm.prank(challenger);
        dispute.publishData(id, partOf(0, 0, 1, LibTensor.STATE_LEAF_BYTES));
    }

    function test_publishData_notDemanded_reverts() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        _unexpected(id, CHOICE, STATE_DATA);
        vm.prank(solver);
        dispute.publishData(id, partOf(0, 0, 1, LibTensor.STATE_LEAF_BYTES));
    }

    function test_publishData_clockRanOut_reverts() public {
        token.mint(challenger, BOND);
        _demandState();
        vm.warp(block.timestamp + CLOCK);
        _expired(CLOCK, CLOCK);
        vm.prank(solver);
        dispute.publishData(id, partOf(0, 0, 1, LibTensor.STATE_LEAF_BYTES));
    }

    function test_timeout_withheldData_refundsDepositAndSlashes_succeeds() public {
        token.mint(challenger, BOND);
        _demandState();
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(id);
        _stage(CHALLENGER_WON, "withholding loses");
        assertEq(dispute.creditOf(challenger), 2 * BOND, "bond and deposit back");
        assertEq(uint8(market.getJob(job).status), uint8(IJobMarket.JobStatus.Slashed), "slashed");
    }

    // ------------------------------------------------------------------ postTrace

    function test_postTrace_awaitsPoint_succeeds() public {
        bisect(id);
        bytes32 trace = keccak256("trace");
        uint64 lo = dispute.getDispute(id).lo;
        vm.expectEmit();
        emit IDisputeGame.TracePosted(id, lo, trace);
        vm.prank(solver);
        dispute.postTrace(id, trace);
        assertEq(dispute.getDispute(id).traceRoot, trace, "traceRoot");
        _stage(POINT, "challenger points");
    }

    function test_postTrace_wrongStage_reverts() public {
        _unexpected(id, MIDPOINT, TRACE);
        vm.prank(solver);
        dispute.postTrace(id, keccak256("trace"));
    }

    function test_postTrace_notSolver_reverts() public {
        bisect(id);
        _notParty(challenger, solver);
        vm.prank(challenger);
        dispute.postTrace(id, keccak256("trace"));
    }

    function test_postTrace_zeroRoot_reverts() public {
        bisect(id);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeRootZero.selector, id));
        vm.prank(solver);
        dispute.postTrace(id, bytes32(0));
    }

    function test_postTrace_clockRanOut_reverts() public {
        bisect(id);
        uint32 left = Duration.unwrap(dispute.getDispute(id).solverClock);
        vm.warp(block.timestamp + left);
        _expired(left, left);
        vm.prank(solver);
        dispute.postTrace(id, keccak256("trace"));
    }

    // ------------------------------------------------------------------ point

    function test_point_validTargets_succeeds() public {
        uint32[3] memory ops = [uint32(0), OPS - 1, dispute.STATE_COPY()];
        uint64[3] memory elements = [uint64(0), 3, (uint64(STATES - 1) << 32) | 5];
        for (uint256 i = 0; i < ops.length; ++i) {
            uint256 s = vm.snapshotState();
            toPoint(id);
            vm.prank(challenger);
            dispute.point(id, ops[i], elements[i]);
            IDisputeGame.Dispute memory d = dispute.getDispute(id);
            assertEq(d.pointOp, ops[i], "pointOp");
            assertEq(d.pointElement, elements[i], "pointElement");
            _stage(OPENING, "solver opens");
            vm.revertToState(s);
        }
    }

    function test_point_outsideGraph_reverts() public {
        toPoint(id);
        uint32 next = dispute.NEXT_STATE();
        uint32 initial = dispute.INITIAL_STATE();
        uint32[4] memory ops = [OPS, next, dispute.STATE_COPY(), initial];
        uint64[4] memory elements = [uint64(0), uint64(STATES) << 32, uint64(STATES) << 32, 0];
        for (uint256 i = 0; i < ops.length; ++i) {
            // The last: the initial state only where the range starts at checkpoint 0 (here lo = K).
            vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputePointInvalid.selector, id, ops[i], elements[i]));
            vm.prank(challenger);
            dispute.point(id, ops[i], elements[i]);
        }
    }

    function test_point_initialStateAtCheckpointZero_succeeds() public {
        id = challengeAs(makeAddr("early"), submittedJob(), 0);
        toOpening(id, dispute.INITIAL_STATE(), 9);
        _stage(OPENING, "lo = 0: the init rule can be disputed");
    }

    function test_point_notChallenger_reverts() public {
        toPoint(id);
        _notParty(solver, challenger);
        vm.prank(solver);
        dispute.point(id, 0, 0);
    }

    function test_point_wrongStage_reverts() public {
        bisect(id);
        _unexpected(id, TRACE, POINT);
        vm.prank(challenger);
        dispute.point(id, 0, 0);
    }

    function test_point_clockRanOut_reverts() public {
        toPoint(id);
        uint32 left = Duration.unwrap(dispute.getDispute(id).challengerClock);
        vm.warp(block.timestamp + left + 1);
        _expired(left, left + 1);
        vm.prank(challenger);
        dispute.point(id, 0, 0);
    }

    // ------------------------------------------------------------------ openings

    function _assertSolverWon() internal view {
        _stage(SOLVER_WON, "solver won");
        assertEq(dispute.creditOf(solver), BOND, "solver gets the bond");
        assertEq(dispute.creditOf(challenger), 0, "challenger gets nothing");
        IJobMarket.Job memory j = market.getJob(job);
        assertEq(uint8(j.status), uint8(IJobMarket.JobStatus.Submitted), "job goes on");
        assertEq(j.openDisputes, 0, "dispute closed");
        assertEq(dispute.activeDispute(job), 0, "queue empty");
        (address who, Duration left) = dispute.mover(id);
        assertEq(who, address(0), "nobody to move");
        assertEq(Duration.unwrap(left), 0, "no clock");
    }

    function _assertChallengerWon() internal view {
        _stage(CHALLENGER_WON, "challenger won");
        assertEq(dispute.creditOf(challenger), BOND, "bond back");
        assertEq(dispute.creditOf(solver), 0, "solver gets nothing");
        assertEq(uint8(market.getJob(job).status), uint8(IJobMarket.JobStatus.Slashed), "slashed");
        assertEq(market.creditOf(challenger, token), uint256(STAKE) * CHALLENGER_BPS / 10_000, "challenger share");
    }

    function test_openElement_valid_solverWins_succeeds() public {
        toOpening(id, 1, 2);
        vm.expectEmit();
        emit IDisputeGame.ElementOpened(id, 1, 2, true);
        openElement(id);
        _assertSolverWon();
    }

    function test_openElement_invalid_challengerWins_succeeds() public {
        toOpening(id, 1, 2);
        judge.setAll(false);
        openElement(id);
        _assertChallengerWon();
    }

    function test_openLoad_valid_solverWins_succeeds() public {
        toOpening(id, 0, 1);
        openLoad(id);
        _assertSolverWon();
    }

    function test_openLoad_invalid_challengerWins_succeeds() public {
        toOpening(id, 0, 1);
        judge.setVerdicts(true, false, true, true);
        openLoad(id);
        _assertChallengerWon();
    }

    function test_openStateLink_nextState_challengerWins_succeeds() public {
        toOpening(id, dispute.NEXT_STATE(), 1);
        judge.setVerdicts(true, true, false, true);
        openStateLink(id);
        _assertChallengerWon();
    }

    function test_openStateLink_stateCopy_solverWins_succeeds() public {
        toOpening(id, dispute.STATE_COPY(), uint64(1) << 32);
        openStateLink(id);
        _assertSolverWon();
    }

    function test_openStateLink_opPoint_reverts() public {
        toOpening(id, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputePointInvalid.selector, id, 1, 2));
        openStateLink(id);
    }

    function test_openInitialState_invalid_challengerWins_succeeds() public {
        job = submittedJob();
        address early = makeAddr("early");
        id = challengeAs(early, job, 0);
        toOpening(id, dispute.INITIAL_STATE(), 3);
        judge.setVerdicts(true, true, true, false);
        openInitialState(id);
        _stage(CHALLENGER_WON, "checkpoint 0 breaks the init rule");
        assertEq(dispute.creditOf(early), BOND, "bond back");
        assertEq(uint8(market.getJob(job).status), uint8(IJobMarket.JobStatus.Slashed), "slashed");
    }

    function test_openInitialState_otherPoint_reverts() public {
        uint32 next = dispute.NEXT_STATE();
        toOpening(id, next, 0);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputePointInvalid.selector, id, next, 0));
        openInitialState(id);
    }

    function test_openings_notSolver_reverts() public {
        toOpening(id, 1, 2);
        LibOpCheckStubs memory s;
        vm.startPrank(challenger);
        _notParty(challenger, solver);
        dispute.openElement(id, fixtureSpec, fixtureGraph, opOf(), opProofOf(), s.inputs, s.output);
        _notParty(challenger, solver);
        dispute.openLoad(id, fixtureSpec, fixtureGraph, opOf(), opProofOf(), s.record, s.output);
        _notParty(challenger, solver);
        dispute.openStateLink(id, fixtureSpec, fixtureGraph, s.link);
        _notParty(challenger, solver);
        dispute.openInitialState(id, fixtureSpec, fixtureGraph, s.leaf);
        vm.stopPrank();
    }

    function test_openings_wrongStage_reverts() public {
        toPoint(id);
        _unexpected(id, POINT, OPENING);
        openElement(id);
        _unexpected(id, POINT, OPENING);
        openLoad(id);
        _unexpected(id, POINT, OPENING);
        openStateLink(id);
        _unexpected(id, POINT, OPENING);
        openInitialState(id);
    }

    function test_openings_clockRanOut_reverts() public {
        toOpening(id, 1, 2);
        uint32 left = Duration.unwrap(dispute.getDispute(id).solverClock);
        vm.warp(block.timestamp + left);
        _expired(left, left);
        openElement(id);
        _expired(left, left);
        openLoad(id);
        _expired(left, left);
        openStateLink(id);
        _expired(left, left);
        openInitialState(id);
    }

    function test_openings_specOrGraphMismatch_reverts() public {
        toOpening(id, 1, 2);
        JobSpec memory spec = specOf();
        spec.momentum = 1;
        LibOpCheckStubs memory s;
        bytes32 expected = market.getJob(job).specHash;
        vm.startPrank(solver);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeSpecMismatch.selector, job, expected, spec.specHash()));
        dispute.openElement(id, abi.encode(spec), fixtureGraph, opOf(), opProofOf(), s.inputs, s.output);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeSpecMismatch.selector, job, expected, spec.specHash()));
        dispute.openLoad(id, abi.encode(spec), fixtureGraph, opOf(), opProofOf(), s.record, s.output);
        IDisputeGame.GraphCommitment memory g = graphOf();
        g.stateCount = 9;
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeGraphMismatch.selector, specOf().graphRoot, graphRootOf(g)));
        dispute.openElement(id, fixtureSpec, g, opOf(), opProofOf(), s.inputs, s.output);
        vm.stopPrank();
    }

    function test_openings_unknownDispute_reverts() public {
        _unknown(42);
        openElement(42);
    }

    // ------------------------------------------------------------------ timeout

    function test_timeout_solverOutOfTime_challengerWins_succeeds() public {
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(id);
        _assertChallengerWon();
    }

    function test_timeout_challengerOutOfTime_solverWins_succeeds() public {
        vm.prank(solver);
        dispute.postMidpoint(id, keccak256("mid"));
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(id);
        _assertSolverWon();
    }

    function test_timeout_clockRunning_reverts() public {
        vm.warp(block.timestamp + CLOCK - 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeClockRunning.selector, id, CLOCK, CLOCK - 1));
        dispute.timeout(id);
    }

    function test_timeout_unknownDispute_reverts() public {
        _unknown(3);
        dispute.timeout(3);
    }

    function test_timeout_resolved_reverts() public {
        vm.warp(block.timestamp + CLOCK);
        dispute.timeout(id);
        _unexpected(id, CHALLENGER_WON, NONE);
        dispute.timeout(id);
    }

    // ------------------------------------------------------------------ abandon

    function test_abandon_jobStillDisputable_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeNotAbandonable.selector, id));
        dispute.abandon(id);
    }

    function test_abandon_unknownDispute_reverts() public {
        _unknown(8);
        dispute.abandon(8);
    }

    function test_abandon_resolved_reverts() public {
        toOpening(id, 1, 2);
        openElement(id);
        _unexpected(id, SOLVER_WON, NONE);
        dispute.abandon(id);
    }

    // ------------------------------------------------------------------ withdraw

    function test_withdraw_paysCredit_succeeds() public {
        toOpening(id, 1, 2);
        openElement(id);
        uint256 before = token.balanceOf(solver);
        vm.expectEmit();
        emit IDisputeGame.Withdrawn(solver, BOND);
        vm.prank(solver);
        uint256 amount = dispute.withdraw();
        assertEq(amount, BOND, "amount");
        assertEq(token.balanceOf(solver) - before, BOND, "paid");
        assertEq(dispute.creditOf(solver), 0, "credit spent");
        assertEq(token.balanceOf(address(dispute)), 0, "game empty");
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeNothingToWithdraw.selector, solver));
        vm.prank(solver);
        dispute.withdraw();
    }

    function test_withdraw_nothing_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeNothingToWithdraw.selector, challenger));
        vm.prank(challenger);
        dispute.withdraw();
    }
}

/// @dev Empty openings: the scripted judge ignores them.
struct LibOpCheckStubs {
    LibOpCheck.TensorOpening[] inputs;
    LibOpCheck.TensorOpening output;
    LibOpCheck.RecordOpening record;
    LibOpCheck.StateLinkOpening link;
    LibOpCheck.StateLeafOpening leaf;
}
