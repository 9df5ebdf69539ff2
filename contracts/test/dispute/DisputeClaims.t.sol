// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {LibChunk} from "../../libraries/LibChunk.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {JobId} from "../../types/JobId.sol";
import {DisputeFixture} from "../utils/DisputeFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice The claim game of a long reduction (docs/PROTOCOL.md §5 step 4b) as the game runs it:
///         stages, callers, picks and resolution, with the scripted judge deciding verdicts (its
///         node is a 4096-term reduction: 16 chunk claims under the root). The claim arithmetic
///         itself is tested against the SDK in test/integration/long-reduction.test.ts.
contract DisputeClaimsTest is DisputeFixture {
    JobId internal job;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        job = submittedJob();
        id = challengeAs(challenger, job, 1);
        toOpening(id, 1, 2);
    }

    function _claims() internal pure returns (LibChunk.Claim[] memory cs) {
        cs = new LibChunk.Claim[](16);
        for (uint256 i = 0; i < 16; ++i) {
            cs[i].top = LibChunk.NO_TOP;
        }
    }

    function _openReduction(LibChunk.Claim[] memory cs) internal {
        LibOpCheck.TensorOpening memory output;
        vm.prank(solver);
        dispute.openReduction(id, fixtureSpec, fixtureGraph, opOf(), opProofOf(), output, cs);
    }

    function _stage(IDisputeGame.Stage expected) internal view {
        assertEq(uint8(stageOf(id)), uint8(expected), "stage");
    }

    function test_openReduction_valid_awaitsPick_thenChunk_solverWins_succeeds() public {
        _openReduction(_claims());
        _stage(IDisputeGame.Stage.AwaitClaimChoice);
        assertEq(dispute.reductionOf(id).height, 1, "root height");
        vm.prank(challenger);
        dispute.chooseClaim(id, 15);
        _stage(IDisputeGame.Stage.AwaitChunk);
        assertEq(dispute.reductionOf(id).choice, 15, "pick stored");
        LibChunk.Claim memory c = _claims()[15];
        vm.prank(solver);
        dispute.openChunk(id, opOf(), c, new bytes32[](4), new LibOpCheck.TensorOpening[](0));
        _stage(IDisputeGame.Stage.SolverWon);
        assertEq(dispute.creditOf(solver), BOND, "solver takes the bond");
    }

    function test_openReduction_yOutsideClaims_challengerWins_succeeds() public {
        judge.setAll(false);
        _openReduction(_claims());
        _stage(IDisputeGame.Stage.ChallengerWon);
        assertEq(uint8(market.getJob(job).status), uint8(IJobMarket.JobStatus.Slashed), "slashed");
    }

    function test_openChunk_chunkRefutesClaim_challengerWins_succeeds() public {
        _openReduction(_claims());
        vm.prank(challenger);
        dispute.chooseClaim(id, 0);
        judge.setAll(false);
        LibChunk.Claim memory c = _claims()[0];
        vm.prank(solver);
        dispute.openChunk(id, opOf(), c, new bytes32[](4), new LibOpCheck.TensorOpening[](0));
        _stage(IDisputeGame.Stage.ChallengerWon);
    }

    function test_openReduction_malformedClaim_reverts() public {
        LibChunk.Claim[] memory cs = _claims();
        cs[3].sum = 5; // |sum| > absSum
        cs[3].top = 10;
        LibOpCheck.TensorOpening memory output;
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(LibChunk.ChunkClaimMalformed.selector, 3));
        dispute.openReduction(id, fixtureSpec, fixtureGraph, opOf(), opProofOf(), output, cs);
    }

    function test_chooseClaim_notAChild_reverts() public {
        _openReduction(_claims());
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(LibChunk.ChunkChoiceInvalid.selector, 16, 16));
        dispute.chooseClaim(id, 16);
    }

    function test_chooseClaim_bySolver_reverts() public {
        _openReduction(_claims());
        vm.prank(solver);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGame.DisputeCallerNotParty.selector, id, solver, challenger));
        dispute.chooseClaim(id, 0);
    }

    function test_postClaims_beforePick_reverts() public {
        _openReduction(_claims());
        vm.prank(solver);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDisputeGame.DisputeUnexpectedStage.selector, id, IDisputeGame.Stage.AwaitClaimChoice, IDisputeGame.Stage.AwaitClaims
            )
        );
        dispute.postClaims(id, _claims()[0], new bytes32[](4), _claims());
    }
}
