// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TestToken} from "../../dev/TestToken.sol";
import {IJobMarket} from "../../interfaces/IJobMarket.sol";
import {JobMarket} from "../../JobMarket.sol";
import {LibCheckpoints} from "../../libraries/LibCheckpoints.sol";
import {StakingVault} from "../../StakingVault.sol";
import {JobId} from "../../types/JobId.sol";
import {Duration, Timestamp} from "../../types/Time.sol";
import {Test} from "./Test.sol";
import {vm} from "./Vm.sol";

/// @notice A deployed market with the default parameters, and helpers to drive jobs.
abstract contract MarketFixture is Test {
    uint256 internal constant START = 1_000_000;
    uint32 internal constant UNSTAKE_DELAY = 7 days;
    uint32 internal constant MIN_WINDOW = 1 days;
    uint128 internal constant MIN_STAKE = 1e18;
    uint16 internal constant CHALLENGER_BPS = 5_000;
    uint16 internal constant SUBMITTER_BPS = 3_000;
    uint16 internal constant EXPIRY_SUBMITTER_BPS = 5_000;
    uint32 internal constant CLAIM_WINDOW = 1 hours;
    uint32 internal constant TRAINING = 1 days;

    TestToken internal token;
    StakingVault internal vault;
    JobMarket internal market;
    address internal treasury;
    address internal game;
    address internal submitter;
    address internal solver;
    address internal challenger;

    function setUp() public virtual {
        deployMarket();
        game = makeAddr("game");
        market.setDisputeGame(game);
    }

    /// @notice Deploys the token, the vault and the market, the vault wired to the market; the
    ///         market's dispute game is left for the caller to set.
    function deployMarket() internal {
        vm.warp(START);
        treasury = makeAddr("treasury");
        submitter = makeAddr("submitter");
        solver = makeAddr("solver");
        challenger = makeAddr("challenger");
        token = new TestToken("Test", "TST", 18);
        vault = new StakingVault(token, Duration.wrap(UNSTAKE_DELAY));
        IERC20[] memory tokens = new IERC20[](1);
        tokens[0] = token;
        market = new JobMarket(vault, defaultParameters(), tokens, address(this));
        vault.setMarket(address(market));
    }

    function defaultParameters() internal view returns (IJobMarket.MarketParameters memory) {
        return IJobMarket.MarketParameters({
            treasury: treasury,
            challengerBps: CHALLENGER_BPS,
            submitterBps: SUBMITTER_BPS,
            expirySubmitterBps: EXPIRY_SUBMITTER_BPS,
            minSolverStake: MIN_STAKE,
            minChallengeWindow: Duration.wrap(MIN_WINDOW)
        });
    }

    function params(uint128 payment, uint128 stake, uint32 count) internal view returns (IJobMarket.PostJobParams memory) {
        return IJobMarket.PostJobParams({
            specHash: keccak256(abi.encode("spec", payment, stake, count)),
            checkpointCount: count,
            token: token,
            payment: payment,
            solverStake: stake,
            claimDeadline: Timestamp.wrap(uint40(block.timestamp + CLAIM_WINDOW)),
            trainingDuration: Duration.wrap(TRAINING),
            challengeWindow: Duration.wrap(MIN_WINDOW)
        });
    }

    function fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(market), amount);
    }

    function stakeFor(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(vault), amount);
        vm.prank(who);
        vault.stake(amount);
    }

    function post(uint128 payment, uint128 stake, uint32 count) internal returns (JobId id) {
        fund(submitter, payment);
        vm.prank(submitter);
        id = market.postJob(params(payment, stake, count));
    }

    function postAndClaim(uint128 payment, uint128 stake, uint32 count) internal returns (JobId id) {
        id = post(payment, stake, count);
        stakeFor(solver, stake);
        vm.prank(solver);
        market.claimJob(id);
    }

    function root(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("root", i));
    }

    /// @notice The chain head after checkpoints 0..n-1 with roots `root(i)`.
    function chainHead(uint32 n) internal pure returns (bytes32 head) {
        head = LibCheckpoints.EMPTY;
        for (uint32 i = 0; i < n; ++i) {
            head = keccak256(abi.encode(head, i, root(i)));
        }
    }

    /// @notice The proof of interval `interval` when checkpoints 0..committed-1 hold `root(i)`.
    function proofOf(uint32 interval, uint32 committed)
        internal
        pure
        returns (IJobMarket.CheckpointProof memory p)
    {
        p.prefix = chainHead(interval);
        p.roots = new bytes32[](committed - interval);
        for (uint32 i = interval; i < committed; ++i) {
            p.roots[i - interval] = root(i);
        }
    }

    function commitUpTo(JobId id, uint32 n) internal {
        for (uint32 i = 0; i < n; ++i) {
            vm.prank(solver);
            market.commitCheckpoint(id, i, root(i), hex"01701220aa");
        }
    }

    function postClaimSubmit(uint128 payment, uint128 stake, uint32 count) internal returns (JobId id) {
        id = postAndClaim(payment, stake, count);
        commitUpTo(id, count);
        vm.prank(solver);
        market.submitFinal(id, root(count), hex"01701220bb");
    }

    function status(JobId id) internal view returns (IJobMarket.JobStatus) {
        return market.getJob(id).status;
    }

    function credit(address who) internal view returns (uint256) {
        return market.creditOf(who, token);
    }
}
