// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestToken} from "../../dev/TestToken.sol";
import {DisputeGame} from "../../DisputeGame.sol";
import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {JobMarket} from "../../JobMarket.sol";
import {LibDispute} from "../../libraries/LibDispute.sol";
import {LibTensor} from "../../libraries/LibTensor.sol";
import {StakingVault} from "../../StakingVault.sol";
import {JobId} from "../../types/JobId.sol";
import {Duration} from "../../types/Time.sol";
import {ScriptedJudge} from "../mocks/ScriptedJudge.sol";
import {DisputeFixture} from "../utils/DisputeFixture.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Plays many disputes at once on a few jobs with random but well-formed moves (and
///         random verdicts, timeouts, abandons and withdrawals), and records every token that went
///         into or out of the game.
contract DisputeHandler is DisputeFixture {
    address[2] internal solvers;
    address[3] internal challengers;
    JobId[] internal _jobs;
    uint256[] internal _disputes;

    uint256 public totalIn;
    uint256 public totalOut;

    constructor(DisputeGame dispute_, JobMarket market_, StakingVault vault_, TestToken token_, ScriptedJudge judge_) {
        (dispute, market, vault, token, judge) = (dispute_, market_, vault_, token_, judge_);
        game = address(dispute_);
        submitter = makeAddr("handler submitter");
        solvers = [makeAddr("solver A"), makeAddr("solver B")];
        challengers = [makeAddr("challenger A"), makeAddr("challenger B"), makeAddr("challenger C")];
        fixtureSpec = abi.encode(specOf());
        fixtureGraph = graphOf();
    }

    /// @dev The fuzzer calls every public function of a target: deploying is the test's job.
    function setUp() public override {}

    // ------------------------------------------------------------------ views for the invariants

    function disputeCount() external view returns (uint256) {
        return _disputes.length;
    }

    function disputeAt(uint256 i) external view returns (uint256) {
        return _disputes[i];
    }

    function actors() external view returns (address[5] memory a) {
        (a[0], a[1], a[2], a[3], a[4]) = (solvers[0], solvers[1], challengers[0], challengers[1], challengers[2]);
    }

    // ------------------------------------------------------------------ actions

    function newJob(uint256 seed) external {
        if (_jobs.length >= 4) return;
        _jobs.push(jobFor(specOf(), solvers[seed % 2], COUNT + 1));
    }

    function challenge(uint256 jobSeed, uint256 interval, uint256 actorSeed) external {
        if (_jobs.length == 0) return;
        JobId id = _jobs[jobSeed % _jobs.length];
        uint32 i = uint32(interval % COUNT);
        address who = challengers[actorSeed % 3];
        _fund(who);
        IDisputeGame.GraphCommitment memory g = fixtureGraph;
        vm.prank(who);
        try dispute.challenge(id, i, fixtureSpec, g, proofOf(i, COUNT + 1)) returns (uint256 disputeId) {
            _disputes.push(disputeId);
            totalIn += BOND;
        } catch {}
    }

    /// @notice Up to four moves in a row on one dispute (so deep stages are reached), each by the
    ///         party to move and well-formed, its kind drawn from `choice`.
    function move(uint256 disputeSeed, uint256 choice) external {
        if (_disputes.length == 0) return;
        uint256 id = _disputes[disputeSeed % _disputes.length];
        uint256 moves = 1 + (choice >> 128) % 4;
        for (uint256 i = 0; i < moves; ++i) {
            _move(id, uint256(keccak256(abi.encode(choice, i))));
        }
    }

    function _move(uint256 id, uint256 choice) internal {
        IDisputeGame.Dispute memory d = dispute.getDispute(id);
        IDisputeGame.Stage s = d.stage;
        if (s == IDisputeGame.Stage.AwaitMidpoint) {
            vm.prank(d.solver);
            try dispute.postMidpoint(id, keccak256(abi.encode(id, d.lo, choice))) {} catch {}
        } else if (s == IDisputeGame.Stage.AwaitChoice || s == IDisputeGame.Stage.AwaitPoint) {
            if (choice % 4 == 0) return _demand(id, d.challenger);
            vm.prank(d.challenger);
            if (s == IDisputeGame.Stage.AwaitChoice) {
                try dispute.chooseHalf(id, choice % 2 == 1) {} catch {}
            } else {
                (uint32 op, uint64 element) = _target(d, choice);
                try dispute.point(id, op, element) {} catch {}
            }
        } else if (s == IDisputeGame.Stage.AwaitTrace) {
            vm.prank(d.solver);
            try dispute.postTrace(id, keccak256(abi.encode("trace", id, choice))) {} catch {}
        } else if (s == IDisputeGame.Stage.AwaitOpening) {
            _open(id, d, choice);
        } else if (s == IDisputeGame.Stage.AwaitStateData || s == IDisputeGame.Stage.AwaitTraceData) {
            (uint32 tensor, uint32 leaf) = dispute.dataCursor(id);
            uint256 bytesPerLeaf = s == IDisputeGame.Stage.AwaitTraceData ? LibTensor.TRACE_LEAF_BYTES : LibTensor.STATE_LEAF_BYTES;
            IDisputeGame.DataPart memory part = partOf(tensor, leaf, 1, bytesPerLeaf);
            vm.prank(d.solver);
            try dispute.publishData(id, part) {} catch {}
        }
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, CLOCK));
    }

    function timeout(uint256 disputeSeed) external {
        if (_disputes.length == 0) return;
        try dispute.timeout(_disputes[disputeSeed % _disputes.length]) {} catch {}
    }

    function abandon(uint256 disputeSeed) external {
        if (_disputes.length == 0) return;
        try dispute.abandon(_disputes[disputeSeed % _disputes.length]) {} catch {}
    }

    function withdraw(uint256 actorSeed) external {
        address who = actorSeed % 2 == 0 ? solvers[actorSeed / 2 % 2] : challengers[actorSeed / 2 % 3];
        vm.prank(who);
        try dispute.withdraw() returns (uint256 amount) {
            totalOut += amount;
        } catch {}
    }

    // ------------------------------------------------------------------ internals

    function _fund(address who) internal {
        token.mint(who, BOND);
        vm.prank(who);
        token.approve(address(dispute), type(uint256).max);
    }

    function _demand(uint256 id, address who) internal {
        _fund(who);
        vm.prank(who);
        try dispute.demandData(id) {
            totalIn += BOND;
        } catch {}
    }

    function _target(IDisputeGame.Dispute memory d, uint256 choice) internal pure returns (uint32 op, uint64 element) {
        uint256 kind = (choice >> 8) % 4;
        element = uint64((choice >> 16) % 8);
        if (kind == 0) return (uint32(choice % OPS), element);
        uint64 stateElement = (uint64((choice >> 32) % STATES) << 32) | element;
        if (kind == 1) return (type(uint32).max, stateElement); // NEXT_STATE
        if (kind == 2 || d.lo != 0) return (type(uint32).max - 1, stateElement); // STATE_COPY
        return (type(uint32).max - 2, stateElement); // INITIAL_STATE
    }

    function _open(uint256 id, IDisputeGame.Dispute memory d, uint256 choice) internal {
        judge.setAll(choice % 2 == 0);
        if (d.pointOp == type(uint32).max || d.pointOp == type(uint32).max - 1) _try(id, d.solver, 2);
        else if (d.pointOp == type(uint32).max - 2) _try(id, d.solver, 3);
        else _try(id, d.solver, (choice >> 1) % 2);
    }

    /// @dev Opens with the given kind: 0 element, 1 load, 2 state link, 3 initial state.
    function _try(uint256 id, address who, uint256 kind) internal {
        (bool ok,) = address(this).call(abi.encodeCall(this.openAs, (who, id, kind)));
        ok;
    }

    /// @dev External so `_try` can swallow its revert; only this contract may call it.
    function openAs(address who, uint256 id, uint256 kind) external {
        if (msg.sender != address(this)) return;
        if (kind == 0) openElementAs(who, id);
        else if (kind == 1) openLoadAs(who, id);
        else if (kind == 2) openStateLinkAs(who, id);
        else openInitialStateAs(who, id);
    }
}

contract DisputeInvariantsTest is DisputeFixture {
    DisputeHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new DisputeHandler(dispute, market, vault, token, judge);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev What the game owes: the bond of every live dispute, the deposit of every dispute waiting
    ///      for demanded data (challengeBond each), and every unpaid credit.
    function _owed() internal view returns (uint256 owed) {
        for (uint256 i = 0; i < handler.disputeCount(); ++i) {
            IDisputeGame.Dispute memory d = dispute.getDispute(handler.disputeAt(i));
            if (!LibDispute.live(d.stage)) continue;
            owed += d.bond;
            if (d.stage == IDisputeGame.Stage.AwaitStateData || d.stage == IDisputeGame.Stage.AwaitTraceData) owed += BOND;
        }
        address[5] memory a = handler.actors();
        for (uint256 i = 0; i < a.length; ++i) {
            owed += dispute.creditOf(a[i]);
        }
    }

    /// @custom:invariant bond solvency: the game's bond-token balance covers every live bond, every
    ///                   held deposit and every unpaid credit (exactly: nothing else sends it tokens),
    ///                   and what came in is owed or was withdrawn.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_gameSolvent() public view {
        uint256 owed = _owed();
        assertLe(owed, token.balanceOf(address(dispute)), "balance covers bonds + deposits + credits");
        assertEq(token.balanceOf(address(dispute)), owed, "balance == owed");
        assertEq(handler.totalIn(), owed + handler.totalOut(), "conservation");
    }

    /// @custom:invariant clocks never grow past the budget, and a job's active dispute is live or the
    ///                   job has no live dispute left in the market.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_clocksBoundedAndMarketCountsLive() public view {
        uint256 live;
        for (uint256 i = 0; i < handler.disputeCount(); ++i) {
            IDisputeGame.Dispute memory d = dispute.getDispute(handler.disputeAt(i));
            assertLe(Duration.unwrap(d.solverClock), CLOCK, "solver clock");
            assertLe(Duration.unwrap(d.challengerClock), CLOCK, "challenger clock");
            if (LibDispute.live(d.stage)) ++live;
        }
        uint256 open;
        for (uint256 j = 1; j <= JobId.unwrap(market.lastJobId()); ++j) {
            open += market.getJob(JobId.wrap(uint64(j))).openDisputes;
        }
        assertEq(open, live, "market's open disputes == live disputes");
    }
}
