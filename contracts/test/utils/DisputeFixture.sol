// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeGame} from "../../DisputeGame.sol";
import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {SpecReader} from "../../SpecReader.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {JobId} from "../../types/JobId.sol";
import {JobSpec} from "../../types/JobSpec.sol";
import {OpDesc, OpInput} from "../../types/OpDesc.sol";
import {Duration} from "../../types/Time.sol";
import {ScriptedJudge} from "../mocks/ScriptedJudge.sol";
import {MarketFixture} from "./MarketFixture.sol";
import {vm} from "./Vm.sol";

/// @notice The real market, vault and dispute game, wired, with a scripted judge; and helpers that
///         play a dispute to any stage: a job of COUNT intervals of K steps over a graph of OPS ops
///         and STATES state tensors.
abstract contract DisputeFixture is MarketFixture {
    uint128 internal constant BOND = 1e18;
    uint32 internal constant CLOCK = 1 hours;
    uint32 internal constant K = 4;
    uint32 internal constant COUNT = 2;
    uint32 internal constant OPS = 3;
    uint32 internal constant STATES = 2;
    uint128 internal constant PAY = 100e18;
    uint128 internal constant STAKE = 10e18;

    ScriptedJudge internal judge;
    DisputeGame internal dispute;
    /// @dev specOf() and graphOf(), kept: building them hashes with the sha256 precompile, a call
    ///      that would take a pending `vm.prank` or `vm.expectRevert`, so moves pass these instead.
    bytes internal fixtureSpec;
    IDisputeGame.GraphCommitment internal fixtureGraph;

    function setUp() public virtual override {
        deployMarket();
        judge = new ScriptedJudge(new SpecReader());
        dispute = new DisputeGame(market, judge, token, BOND, Duration.wrap(CLOCK));
        game = address(dispute);
        market.setDisputeGame(game);
        fixtureSpec = abi.encode(specOf());
        fixtureGraph = graphOf();
    }

    // ------------------------------------------------------------------ the job

    function graphOf() internal pure returns (IDisputeGame.GraphCommitment memory) {
        return IDisputeGame.GraphCommitment({opCount: OPS, stateCount: STATES, opsRoot: keccak256("ops")});
    }

    function graphRootOf(IDisputeGame.GraphCommitment memory g) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(g.opCount, g.stateCount, g.opsRoot));
    }

    function specOf() internal pure returns (JobSpec memory s) {
        s.version = 1;
        s.layers = new uint32[](2);
        s.layers[0] = 4;
        s.layers[1] = 2;
        s.checkpointInterval = K;
        s.steps = uint64(K) * COUNT;
        s.batchSize = 1;
        s.recordCount = 8;
        s.graphRoot = graphRootOf(graphOf());
    }

    /// @notice Posts a job for `spec`, has `who` claim it and commit checkpoints 0..committed-1
    ///         (and submit the last when committed is COUNT + 1).
    function jobFor(JobSpec memory spec, address who, uint32 committed) internal returns (JobId id) {
        IJobMarket.PostJobParams memory p = params(PAY, STAKE, COUNT);
        p.specHash = spec.specHash();
        fund(submitter, PAY);
        vm.prank(submitter);
        id = market.postJob(p);
        stakeFor(who, STAKE);
        vm.prank(who);
        market.claimJob(id);
        for (uint32 i = 0; i < committed && i < COUNT; ++i) {
            vm.prank(who);
            market.commitCheckpoint(id, i, root(i), hex"01");
        }
        if (committed > COUNT) {
            vm.prank(who);
            market.submitFinal(id, root(COUNT), hex"01");
        }
    }

    /// @notice A submitted job of the fixture's spec, solved by `solver`.
    function submittedJob() internal returns (JobId) {
        return jobFor(specOf(), solver, COUNT + 1);
    }

    // ------------------------------------------------------------------ moves

    function committedOf(JobId id) internal view returns (uint32 committed) {
        (, committed) = market.checkpointChain(id);
    }

    function challengeAs(address who, JobId id, uint32 interval) internal returns (uint256 disputeId) {
        token.mint(who, BOND);
        vm.prank(who);
        token.approve(address(dispute), type(uint256).max);
        IJobMarket.CheckpointProof memory proof = proofOf(interval, committedOf(id));
        vm.prank(who);
        disputeId = dispute.challenge(id, interval, fixtureSpec, fixtureGraph, proof);
    }

    function stageOf(uint256 disputeId) internal view returns (IDisputeGame.Stage) {
        return dispute.getDispute(disputeId).stage;
    }

    /// @notice Solver posts midpoints, the challenger keeps the left half, until one step is left.
    function bisect(uint256 disputeId) internal {
        IDisputeGame.Dispute memory d = dispute.getDispute(disputeId);
        while (d.stage == IDisputeGame.Stage.AwaitMidpoint) {
            vm.prank(d.solver);
            dispute.postMidpoint(disputeId, keccak256(abi.encode("mid", disputeId, d.lo, d.hi)));
            vm.prank(d.challenger);
            dispute.chooseHalf(disputeId, true);
            d = dispute.getDispute(disputeId);
        }
    }

    function toPoint(uint256 disputeId) internal {
        bisect(disputeId);
        IDisputeGame.Dispute memory d = dispute.getDispute(disputeId);
        vm.prank(d.solver);
        dispute.postTrace(disputeId, keccak256(abi.encode("trace", disputeId)));
    }

    function toOpening(uint256 disputeId, uint32 op, uint64 element) internal {
        toPoint(disputeId);
        address who = dispute.getDispute(disputeId).challenger;
        vm.prank(who);
        dispute.point(disputeId, op, element);
    }

    // ------------------------------------------------------------------ openings (the judge decides)

    function opOf() internal pure returns (OpDesc memory op) {
        op.kind = 3;
        op.shape = new uint32[](1);
        op.shape[0] = 4;
        op.inputs = new OpInput[](0);
        op.params = new uint32[](0);
    }

    /// @notice A proof of the depth the op tree of OPS ops has, proving nothing: the judge decides.
    function opProofOf() internal pure returns (bytes32[] memory p) {
        p = new bytes32[](2);
        p[0] = keccak256("sibling 0");
        p[1] = keccak256("sibling 1");
    }

    function openElement(uint256 disputeId) internal {
        openElementAs(solver, disputeId);
    }

    /// @dev Takes the caller, not reading it: a read would take a pending `vm.expectRevert`.
    function openElementAs(address who, uint256 disputeId) internal {
        LibOpCheck.TensorOpening memory output;
        vm.prank(who);
        dispute.openElement(disputeId, fixtureSpec, fixtureGraph, opOf(), opProofOf(), new LibOpCheck.TensorOpening[](0), output);
    }

    function openLoad(uint256 disputeId) internal {
        openLoadAs(solver, disputeId);
    }

    /// @dev Takes the caller, not reading it: a read would take a pending `vm.expectRevert`.
    function openLoadAs(address who, uint256 disputeId) internal {
        LibOpCheck.RecordOpening memory record;
        LibOpCheck.TensorOpening memory output;
        vm.prank(who);
        dispute.openLoad(disputeId, fixtureSpec, fixtureGraph, opOf(), opProofOf(), record, output);
    }

    function openStateLink(uint256 disputeId) internal {
        openStateLinkAs(solver, disputeId);
    }

    /// @dev Takes the caller, not reading it: a read would take a pending `vm.expectRevert`.
    function openStateLinkAs(address who, uint256 disputeId) internal {
        LibOpCheck.StateLinkOpening memory opening;
        vm.prank(who);
        dispute.openStateLink(disputeId, fixtureSpec, fixtureGraph, opening);
    }

    function openInitialState(uint256 disputeId) internal {
        openInitialStateAs(solver, disputeId);
    }

    /// @dev Takes the caller, not reading it: a read would take a pending `vm.expectRevert`.
    function openInitialStateAs(address who, uint256 disputeId) internal {
        LibOpCheck.StateLeafOpening memory opening;
        vm.prank(who);
        dispute.openInitialState(disputeId, fixtureSpec, fixtureGraph, opening);
    }

    /// @notice A part of `leaves` whole leaves of `leafBytes` each, at (tensor, firstLeaf).
    function partOf(uint32 tensor, uint32 firstLeaf, uint256 leaves, uint256 leafBytes)
        internal
        pure
        returns (IDisputeGame.DataPart memory p)
    {
        p.tensor = tensor;
        p.firstLeaf = firstLeaf;
        p.shape = new uint32[](1);
        p.shape[0] = 1;
        p.leaves = new bytes(leaves * leafBytes);
    }
}
