// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestToken} from "../../dev/TestToken.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {IStakingVault} from "../../interfaces/IStakingVault.sol";
import {JobMarket} from "../../JobMarket.sol";
import {LibCheckpoints} from "../../libraries/LibCheckpoints.sol";
import {StakingVault} from "../../StakingVault.sol";
import {JobId} from "../../types/JobId.sol";
import {Duration, Timestamp} from "../../types/Time.sol";
import {MarketFixture} from "../utils/MarketFixture.sol";
import {Test} from "../utils/Test.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Drives the market with random but well-formed actions from a few actors, and records
///         ghost values the invariants compare the contracts against.
contract MarketHandler is Test {
    JobMarket internal immutable market;
    StakingVault internal immutable vault;
    TestToken internal immutable token;
    address internal immutable game;
    address internal immutable treasury;

    address[] public actors;
    JobId[] internal _jobs;
    mapping(JobId => uint32) public nextIndex;
    /// @dev The checkpoint chain head each job should have: every accepted commit, in order.
    mapping(JobId => bytes32) public expectedHead;
    mapping(JobId => IJobMarket.JobStatus) internal _lastStatus;
    /// @dev Credits a job's terminal transition produced, measured as credit deltas.
    mapping(JobId => uint256) public creditedByJob;

    uint256 public totalPosted;
    uint256 public totalSlashed;
    uint256 public totalWithdrawn;
    bool public statusWentBack;
    bool public unauthorisedSlashSucceeded;
    bool public lockedStakeLeft;
    bool public doublePayout;

    constructor(JobMarket market_, StakingVault vault_, TestToken token_, address game_, address treasury_) {
        market = market_;
        vault = vault_;
        token = token_;
        game = game_;
        treasury = treasury_;
        for (uint256 i = 0; i < 4; ++i) {
            actors.push(address(uint160(0xA000 + i)));
        }
    }

    // ------------------------------------------------------------------ views for the invariants

    function jobCount() external view returns (uint256) {
        return _jobs.length;
    }

    function jobAt(uint256 i) external view returns (JobId) {
        return _jobs[i];
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    // ------------------------------------------------------------------ actions

    function postJob(uint256 actorSeed, uint128 payment, uint128 stake, uint32 count) external {
        address who = _actor(actorSeed);
        payment = uint128(bound(payment, 1, 1e24));
        stake = uint128(bound(stake, 1e18, 1e22));
        count = uint32(bound(count, 1, 4));
        token.mint(who, payment);
        vm.prank(who);
        token.approve(address(market), payment);
        IJobMarket.PostJobParams memory p = IJobMarket.PostJobParams({
            specHash: keccak256(abi.encode(_jobs.length)),
            checkpointCount: count,
            token: token,
            payment: payment,
            solverStake: stake,
            claimDeadline: Timestamp.wrap(uint40(block.timestamp + 1 hours)),
            trainingDuration: Duration.wrap(1 days),
            challengeWindow: Duration.wrap(1 days)
        });
        vm.prank(who);
        JobId id = market.postJob(p);
        _jobs.push(id);
        totalPosted += payment;
        _observe(id);
    }

    /// Moves a job one step along the happy path (claim, commit, submit, then past the window and
    /// finalize), so that deep states are reached within the call depth.
    function advance(uint256 jobSeed, uint256 actorSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        if (job.status == IJobMarket.JobStatus.Open) {
            this.claimJob(jobSeed, actorSeed);
        } else if (job.status == IJobMarket.JobStatus.Claimed) {
            if (nextIndex[id] < job.checkpointCount) this.commitCheckpoint(jobSeed);
            else this.submitFinal(jobSeed);
        } else if (job.status == IJobMarket.JobStatus.Submitted) {
            if (block.timestamp <= Timestamp.unwrap(job.challengeDeadline)) {
                vm.warp(Timestamp.unwrap(job.challengeDeadline) + 1);
            }
            this.finalize(jobSeed);
        }
    }

    function cancelJob(uint256 jobSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        uint256 before = _credits();
        vm.prank(job.submitter);
        try market.cancelJob(id) {
            _recordPayout(id, before);
        } catch {}
        _observe(id);
    }

    function claimJob(uint256 jobSeed, uint256 actorSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        address who = _actor(actorSeed);
        uint256 free = vault.freeStakeOf(who);
        if (free < job.solverStake) {
            uint256 need = job.solverStake - free;
            token.mint(who, need);
            vm.startPrank(who);
            token.approve(address(vault), need);
            vault.stake(need);
            vm.stopPrank();
        }
        vm.prank(who);
        try market.claimJob(id) {
            expectedHead[id] = LibCheckpoints.EMPTY;
        } catch {}
        _observe(id);
    }

    function commitCheckpoint(uint256 jobSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        uint32 i = nextIndex[id];
        vm.prank(job.solver);
        bytes32 stateRoot = keccak256(abi.encode(id, i));
        try market.commitCheckpoint(id, i, stateRoot, hex"0170") {
            nextIndex[id] = i + 1;
            expectedHead[id] = LibCheckpoints.link(expectedHead[id], i, stateRoot);
        } catch {}
        _observe(id);
    }

    function submitFinal(uint256 jobSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        vm.prank(job.solver);
        bytes32 stateRoot = keccak256(abi.encode(id, "final"));
        try market.submitFinal(id, stateRoot, hex"0170") {
            expectedHead[id] = LibCheckpoints.link(expectedHead[id], job.checkpointCount, stateRoot);
            nextIndex[id] = job.checkpointCount + 1;
        } catch {}
        _observe(id);
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 2 days));
    }

    function finalize(uint256 jobSeed) external {
        (JobId id,) = _job(jobSeed);
        uint256 before = _credits();
        try market.finalize(id) {
            _recordPayout(id, before);
        } catch {}
        _observe(id);
    }

    function expire(uint256 jobSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        uint256 before = _credits();
        try market.expire(id) {
            totalSlashed += job.solverStake;
            _recordPayout(id, before);
        } catch {}
        _observe(id);
    }

    function openDispute(uint256 jobSeed) external {
        (JobId id,) = _job(jobSeed);
        vm.prank(game);
        try market.openDispute(id) {} catch {}
        _observe(id);
    }

    function closeDispute(uint256 jobSeed, bool solverWon) external {
        (JobId id,) = _job(jobSeed);
        vm.prank(game);
        try market.closeDispute(id, solverWon ? IJobMarket.DisputeOutcome.SolverWon : IJobMarket.DisputeOutcome.ChallengerWon) {} catch {}
        _observe(id);
    }

    function slash(uint256 jobSeed, uint256 challengerSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        uint256 before = _credits();
        vm.prank(game);
        try market.slash(id, _actor(challengerSeed)) {
            totalSlashed += job.solverStake;
            _recordPayout(id, before);
        } catch {}
        _observe(id);
    }

    /// An actor (never the game, never the market) tries to slash through the market and the vault.
    function attackSlash(uint256 jobSeed, uint256 actorSeed) external {
        (JobId id, IJobMarket.Job memory job) = _job(jobSeed);
        address who = _actor(actorSeed);
        vm.prank(who);
        try market.slash(id, who) {
            unauthorisedSlashSucceeded = true;
        } catch {}
        vm.prank(who);
        try vault.slash(job.solver, 1, who) {
            unauthorisedSlashSucceeded = true;
        } catch {}
        vm.prank(who);
        try vault.unlock(job.solver, 1) {
            unauthorisedSlashSucceeded = true;
        } catch {}
    }

    function withdraw(uint256 actorSeed) external {
        address who = actorSeed % 5 == 4 ? treasury : _actor(actorSeed);
        vm.prank(who);
        try market.withdraw(token) returns (uint256 amount) {
            totalWithdrawn += amount;
        } catch {}
    }

    function requestUnstake(uint256 actorSeed, uint256 amount) external {
        address who = _actor(actorSeed);
        IStakingVault.StakeAccount memory a = vault.stakeOf(who);
        // Sometimes ask for more than free, to try to reach locked stake.
        amount = bound(amount, 1, uint256(a.staked) + 1);
        uint256 free = vault.freeStakeOf(who);
        vm.prank(who);
        try vault.requestUnstake(amount) {
            if (amount > free) lockedStakeLeft = true;
        } catch {}
    }

    function withdrawStake(uint256 actorSeed) external {
        address who = _actor(actorSeed);
        uint256 lockedBefore = vault.stakeOf(who).locked;
        vm.prank(who);
        try vault.withdrawStake() {
            if (vault.stakeOf(who).locked != lockedBefore || vault.stakeOf(who).staked < lockedBefore) {
                lockedStakeLeft = true;
            }
        } catch {}
    }

    // ------------------------------------------------------------------ internals

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _job(uint256 seed) internal view returns (JobId id, IJobMarket.Job memory job) {
        if (_jobs.length == 0) return (JobId.wrap(0), job);
        id = _jobs[seed % _jobs.length];
        job = market.getJob(id);
    }

    /// @dev Sum of all credits of every account the handler knows.
    function _credits() internal view returns (uint256 sum) {
        for (uint256 i = 0; i < actors.length; ++i) {
            sum += market.creditOf(actors[i], token);
        }
        sum += market.creditOf(treasury, token);
    }

    function _recordPayout(JobId id, uint256 creditsBefore) internal {
        if (creditedByJob[id] != 0) doublePayout = true;
        creditedByJob[id] = _credits() - creditsBefore;
    }

    function _observe(JobId id) internal {
        if (JobId.unwrap(id) == 0) return;
        IJobMarket.JobStatus s = market.getJob(id).status;
        if (uint8(s) < uint8(_lastStatus[id])) statusWentBack = true;
        _lastStatus[id] = s;
    }
}

contract MarketInvariantsTest is MarketFixture {
    MarketHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new MarketHandler(market, vault, token, game, treasury);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @custom:invariant escrow solvency: the market's token balance equals every unpaid escrow plus every credit.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 60
    function invariant_marketSolvent() public view {
        uint256 owed;
        for (uint256 i = 0; i < handler.jobCount(); ++i) {
            IJobMarket.Job memory job = market.getJob(handler.jobAt(i));
            if (
                job.status == IJobMarket.JobStatus.Open || job.status == IJobMarket.JobStatus.Claimed
                    || job.status == IJobMarket.JobStatus.Submitted
            ) owed += job.payment;
        }
        for (uint256 i = 0; i < handler.actorCount(); ++i) {
            owed += market.creditOf(handler.actors(i), token);
        }
        owed += market.creditOf(treasury, token);
        assertEq(token.balanceOf(address(market)), owed, "market balance == owed");
        // Conservation: what came in (payments, slashed stake) is owed or was withdrawn.
        assertEq(handler.totalPosted() + handler.totalSlashed(), owed + handler.totalWithdrawn(), "conservation");
    }

    /// @custom:invariant no double payout: a job's terminal transition credits exactly once, and exactly
    ///                   its payment (finalize, cancel) or payment + stake (expire, slash).
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 60
    function invariant_noDoublePayout() public view {
        assertTrue(!handler.doublePayout(), "credited twice");
        for (uint256 i = 0; i < handler.jobCount(); ++i) {
            JobId id = handler.jobAt(i);
            IJobMarket.Job memory job = market.getJob(id);
            uint256 credited = handler.creditedByJob(id);
            if (job.status == IJobMarket.JobStatus.Finalized || job.status == IJobMarket.JobStatus.Cancelled) {
                assertEq(credited, job.payment, "payment once");
            } else if (job.status == IJobMarket.JobStatus.Expired || job.status == IJobMarket.JobStatus.Slashed) {
                assertEq(credited, uint256(job.payment) + job.solverStake, "payment + stake once");
            } else {
                assertEq(credited, 0, "nothing before the end");
            }
        }
    }

    /// @custom:invariant checkpoints are append-only and in order: every job's chain head and count are
    ///                   exactly those of the commits the market accepted, and nothing else.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 60
    function invariant_checkpointChainIsTheAcceptedCommits() public view {
        for (uint256 i = 0; i < handler.jobCount(); ++i) {
            JobId id = handler.jobAt(i);
            (bytes32 head, uint32 committed) = market.checkpointChain(id);
            assertEq(head, handler.expectedHead(id), "head");
            assertEq(committed, handler.nextIndex(id), "committed");
        }
    }

    /// @custom:invariant status only moves forward.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 60
    function invariant_statusForwardOnly() public view {
        assertTrue(!handler.statusWentBack(), "status went back");
    }

    /// @custom:invariant locked stake is never withdrawable, and each solver's locked stake is exactly
    ///                   the stake of its live (Claimed, Submitted) jobs; the vault holds all stake.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 60
    function invariant_lockedStakeNeverWithdrawable() public view {
        assertTrue(!handler.lockedStakeLeft(), "locked stake left");
        uint256 totalStaked;
        for (uint256 a = 0; a < handler.actorCount(); ++a) {
            address who = handler.actors(a);
            IStakingVault.StakeAccount memory s = vault.stakeOf(who);
            assertLe(uint256(s.locked) + s.pendingUnstake, s.staked, "locked + pending <= staked");
            uint256 live;
            for (uint256 i = 0; i < handler.jobCount(); ++i) {
                IJobMarket.Job memory job = market.getJob(handler.jobAt(i));
                if (
                    job.solver == who
                        && (job.status == IJobMarket.JobStatus.Claimed || job.status == IJobMarket.JobStatus.Submitted)
                ) live += job.solverStake;
            }
            assertEq(s.locked, live, "locked == live jobs' stake");
            totalStaked += s.staked;
        }
        assertEq(token.balanceOf(address(vault)), totalStaked, "vault holds all stake");
    }

    /// @custom:invariant only the dispute game (through the market) and the market can slash.
    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 60
    function invariant_onlyAuthorisedSlashing() public view {
        assertTrue(!handler.unauthorisedSlashSucceeded(), "unauthorised slash");
    }
}
