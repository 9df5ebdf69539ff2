// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobId} from "../types/JobId.sol";
import {Duration, Timestamp} from "../types/Time.sol";
import {IStakingVault} from "./IStakingVault.sol";

/// @title IJobMarket
/// @notice Escrowed market for training jobs. A submitter posts a job with payment in escrow; a
///         staked solver claims it (its stake is locked), commits checkpoints in order and submits
///         the final one; after the challenge window, with no dispute open, anyone finalizes and
///         the solver is credited. A solver that misses its training deadline is slashed on
///         expiry. The dispute game (wired once) opens and closes disputes and slashes.
///         Every payout is a credit per (account, token), taken with `withdraw`.
/// @dev Status only moves forward (numerically increasing):
///      Open -> Claimed -> Submitted -> Finalized; Open -> Cancelled; Claimed -> Expired;
///      Claimed | Submitted -> Slashed. Time-derived states are views (`isExpirable`, `isFinalizable`).
interface IJobMarket {
    /// @notice Stored status of a job; values only ever increase.
    enum JobStatus {
        None,
        Open,
        Claimed,
        Submitted,
        Finalized,
        Slashed,
        Cancelled,
        Expired
    }

    /// @notice What a submitter posts.
    /// @param specHash SHA-256 of the ABI-encoded JobSpec; its CID (CIDv1, raw, sha2-256) is derived from it.
    /// @param checkpointCount N/k: the final checkpoint's index. Indices 0..checkpointCount are committed; 0 is the initial state.
    /// @param token Payment token; must be allowed.
    /// @param payment Escrowed amount paid to the solver on finalize.
    /// @param solverStake Stake (in the vault's stake token) the solver locks on claim; >= `minSolverStake`.
    /// @param claimDeadline Last moment a solver may claim.
    /// @param trainingDuration Time from claim to the training deadline (fixed at claim).
    /// @param challengeWindow Time from submission during which disputes may be opened; >= `minChallengeWindow`.
    struct PostJobParams {
        bytes32 specHash;
        uint32 checkpointCount;
        IERC20 token;
        uint128 payment;
        uint128 solverStake;
        Timestamp claimDeadline;
        Duration trainingDuration;
        Duration challengeWindow;
    }

    /// @notice A job as stored. Field order is the storage packing (5 slots).
    /// @param solver Claimant; zero while Open.
    /// @param status Stored status.
    /// @param trainingDeadline Set on claim: claim time + trainingDuration.
    /// @param checkpointCount Final checkpoint index; at most `LibCheckpoints.MAX_CHECKPOINTS`.
    /// @param committed Checkpoints committed so far (the final one included): the next index to commit.
    /// @param submitter Poster; receives refunds.
    /// @param claimDeadline Last moment to claim.
    /// @param trainingDuration Claim-to-deadline time.
    /// @param token Payment token.
    /// @param challengeWindow Submission-to-finalizable time.
    /// @param challengeDeadline Set on submit: submit time + challengeWindow.
    /// @param openDisputes Disputes currently open on the job.
    /// @param payment Escrowed payment.
    /// @param solverStake Stake locked by the solver.
    /// @param specHash SHA-256 of the job spec.
    /// @notice How a dispute ended, as the market records it.
    enum DisputeOutcome {
        SolverWon,
        ChallengerWon,
        // The job was settled by another dispute first; the bond went back.
        Abandoned
    }

    struct Job {
        address solver;
        JobStatus status;
        Timestamp trainingDeadline;
        uint32 checkpointCount;
        uint16 committed;
        address submitter;
        Timestamp claimDeadline;
        Duration trainingDuration;
        IERC20 token;
        Duration challengeWindow;
        Timestamp challengeDeadline;
        uint24 openDisputes;
        uint128 payment;
        uint128 solverStake;
        bytes32 specHash;
    }

    /// @notice Two adjacent committed checkpoints, proved against a job's checkpoint chain
    ///         (`LibCheckpoints`): the chain head before checkpoint `interval`, and the state roots of
    ///         checkpoints `interval` .. `committed - 1` in order, as the `CheckpointCommitted` logs hold them.
    /// @param prefix The chain head before checkpoint `interval` (`LibCheckpoints.EMPTY` when it is 0).
    /// @param roots State roots of checkpoints `interval`, `interval + 1`, ..., `committed - 1`.
    struct CheckpointProof {
        bytes32 prefix;
        bytes32[] roots;
    }

    /// @notice Economic parameters, fixed at deployment. See docs/PROTOCOL.md §6.5 for defaults and reasons (the defaults: DEFAULT_PARAMETERS in sdk/chain/deploy.ts).
    /// @param treasury Receives the protocol share of every slash.
    /// @param challengerBps Share of a dispute slash credited to the winning challenger.
    /// @param submitterBps Share of a dispute slash credited to the submitter (on top of its refund).
    /// @param expirySubmitterBps Share of an expiry slash credited to the submitter; the treasury gets the rest.
    /// @param minSolverStake Lower bound on `solverStake` of any job.
    /// @param minChallengeWindow Lower bound on `challengeWindow` of any job.
    struct MarketParameters {
        address treasury;
        uint16 challengerBps;
        uint16 submitterBps;
        uint16 expirySubmitterBps;
        uint128 minSolverStake;
        Duration minChallengeWindow;
    }

    /// @notice A job was posted and `payment` of `token` escrowed.
    event JobPosted(
        JobId indexed jobId,
        address indexed submitter,
        bytes32 indexed specHash,
        IERC20 token,
        uint128 payment,
        uint128 solverStake,
        uint32 checkpointCount,
        Timestamp claimDeadline,
        Duration trainingDuration,
        Duration challengeWindow
    );
    /// @notice The submitter cancelled an unclaimed job; its escrow was credited back to it.
    event JobCancelled(JobId indexed jobId);
    /// @notice `solver` claimed the job and its stake was locked until the job ends.
    event JobClaimed(JobId indexed jobId, address indexed solver, Timestamp trainingDeadline);
    /// @notice The solver committed checkpoint `index` (the final one too). `cid` locates its content.
    ///         The market stores only the chain head: these logs are where the roots are read from.
    event CheckpointCommitted(JobId indexed jobId, uint32 index, bytes32 stateRoot, bytes cid);
    /// @notice The solver submitted the final checkpoint; disputes may be opened until `challengeDeadline`.
    event JobSubmitted(JobId indexed jobId, Timestamp challengeDeadline);
    /// @notice The job finalized: the solver was credited `payment` and its stake unlocked.
    event JobFinalized(JobId indexed jobId, address indexed solver);
    /// @notice The solver missed its training deadline: the submitter was refunded and `stake` slashed.
    event JobExpired(JobId indexed jobId, address indexed solver, uint256 stake);
    /// @notice The dispute game slashed the solver of the job in favour of `challenger`.
    event JobSlashed(JobId indexed jobId, address indexed solver, address indexed challenger, uint256 stake);
    /// @notice A dispute was opened on the job; `openDisputes` is the count now open.
    event DisputeOpened(JobId indexed jobId, uint24 openDisputes);
    /// @notice A dispute on the job was closed with `outcome`; `openDisputes` is the count still open.
    event DisputeClosed(JobId indexed jobId, DisputeOutcome outcome, uint24 openDisputes);
    /// @notice The last open dispute of a Claimed job closed: the training deadline moved by the
    ///         time disputes were open, so defending never costs the solver training time.
    event TrainingDeadlineExtended(JobId indexed jobId, Timestamp trainingDeadline);
    /// @notice `amount` of `token` was credited to `account`, withdrawable with `withdraw`.
    event Credited(address indexed account, IERC20 indexed token, uint256 amount);
    /// @notice `account` withdrew its whole credit of `token`.
    event Withdrawn(address indexed account, IERC20 indexed token, uint256 amount);
    /// @notice The owner allowed or disallowed `token` for new jobs.
    event PaymentTokenSet(IERC20 indexed token, bool allowed);
    /// @notice The dispute game was wired, once and for all.
    event DisputeGameSet(address indexed disputeGame);

    /// @notice The job's status is `current`; the call needs `expected`.
    error JobUnexpectedStatus(JobId jobId, JobStatus current, JobStatus expected);
    /// @notice A dispute can only be opened or slashed on a Claimed or Submitted job; this one is `current`.
    error JobNotDisputable(JobId jobId, JobStatus current);
    /// @notice `caller` is not the job's solver.
    error JobCallerNotSolver(JobId jobId, address caller);
    /// @notice `caller` is not the job's submitter.
    error JobCallerNotSubmitter(JobId jobId, address caller);
    /// @notice The claim deadline `deadline` has passed (it is `now_`).
    error JobClaimDeadlinePassed(JobId jobId, Timestamp deadline, Timestamp now_);
    /// @notice The training deadline `deadline` has passed (it is `now_`).
    error JobTrainingDeadlinePassed(JobId jobId, Timestamp deadline, Timestamp now_);
    /// @notice The training deadline `deadline` has not passed yet (it is `now_`).
    error JobTrainingDeadlineNotPassed(JobId jobId, Timestamp deadline, Timestamp now_);
    /// @notice The challenge window ends at `deadline`, not yet passed (it is `now_`).
    error JobChallengeWindowOpen(JobId jobId, Timestamp deadline, Timestamp now_);
    /// @notice The challenge window ended at `deadline` (it is `now_`).
    error JobChallengeWindowClosed(JobId jobId, Timestamp deadline, Timestamp now_);
    /// @notice `openDisputes` disputes are open; the job cannot finalize or expire.
    error JobDisputesOpen(JobId jobId, uint24 openDisputes);
    /// @notice No dispute is open on the job.
    error JobNoOpenDispute(JobId jobId);
    /// @notice The job already has the maximum number of open disputes (2^16 - 1).
    error JobTooManyDisputes(JobId jobId);
    /// @notice Checkpoint `index` is outside 0..checkpointCount-1 (the final one goes through `submitFinal`).
    error JobCheckpointIndexOutOfRange(JobId jobId, uint32 index, uint32 checkpointCount);
    /// @notice Checkpoint `index` is not the next one: `expected` checkpoints are committed (append-only, in order).
    error JobCheckpointOutOfOrder(JobId jobId, uint32 index, uint32 expected);
    /// @notice The proof of checkpoints `interval` and `interval + 1` does not match the job's chain
    ///         (stale: the solver committed since; wrong roots; or `interval + 1` not committed).
    error JobCheckpointProofInvalid(JobId jobId, uint32 interval);
    /// @notice Checkpoint `index` is not committed yet but the call needs it (checkpoints go in order).
    error JobCheckpointMissing(JobId jobId, uint32 index);
    /// @notice A state root must not be zero (zero marks "not committed").
    error JobStateRootZero(JobId jobId);
    /// @notice A posted job's parameter named `field` is invalid (zero, in the past, or under a minimum).
    error JobInvalidParameter(string field);
    /// @notice `token` is not allowed for payments.
    error JobMarketTokenNotAllowed(IERC20 token);
    /// @notice The market's balance of `token` moved by `actual` in a transfer of `expected`
    ///         (fee-on-transfer, rebasing or lying token).
    error JobMarketTransferMismatch(IERC20 token, uint256 expected, uint256 actual);
    /// @notice `caller` is not the dispute game.
    error JobMarketCallerNotDisputeGame(address caller);
    /// @notice The dispute game is already wired to `disputeGame`.
    error JobMarketDisputeGameAlreadySet(address disputeGame);
    /// @notice `account` has no credit of `token`.
    error JobMarketNothingToWithdraw(address account, IERC20 token);
    /// @notice The constructor parameters are inconsistent; `field` names the first bad one.
    error JobMarketInvalidParameters(string field);
    /// @notice The dispute game is not wired yet; no job can be posted before it is.
    error JobMarketNotWired();

    // ------------------------------------------------------------------ views

    /// @notice The staking vault holding solver stake.
    function vault() external view returns (IStakingVault);
    /// @notice The dispute game allowed to call the dispute hooks (zero until wired).
    function disputeGame() external view returns (address);
    /// @notice The economic parameters fixed at deployment.
    function parameters() external view returns (MarketParameters memory);
    /// @notice Whether `token` may be used to pay for new jobs.
    function isPaymentToken(IERC20 token) external view returns (bool);
    /// @notice The id the most recent job got (0 before any).
    function lastJobId() external view returns (JobId);
    /// @notice The stored record of `jobId` (all zero for an unknown id).
    function getJob(JobId jobId) external view returns (Job memory);
    /// @notice Head of the job's checkpoint chain (`LibCheckpoints`; zero before the claim) and the
    ///         number of checkpoints committed to it.
    function checkpointChain(JobId jobId) external view returns (bytes32 head, uint32 committed);
    /// @notice State roots of checkpoints `interval` and `interval + 1`, both committed, checked against
    ///         the job's checkpoint chain. Reverts with `JobCheckpointProofInvalid` otherwise.
    function intervalRoots(JobId jobId, uint32 interval, CheckpointProof calldata proof)
        external
        view
        returns (bytes32 lo, bytes32 hi);
    /// @notice Whether `finalize(jobId)` would succeed now.
    function isFinalizable(JobId jobId) external view returns (bool);
    /// @notice Whether `expire(jobId)` would succeed now.
    function isExpirable(JobId jobId) external view returns (bool);
    /// @notice Whether a dispute could be opened on `jobId` now.
    function isDisputable(JobId jobId) external view returns (bool);
    /// @notice Credit of `account` in `token`, withdrawable with `withdraw`.
    function creditOf(address account, IERC20 token) external view returns (uint256);

    // ------------------------------------------------------------------ submitter

    /// @notice Posts a job and escrows `params.payment` of `params.token` from the caller (needs an
    ///         allowance). Reverts unless exactly `payment` arrives.
    /// @return jobId The new job's id.
    function postJob(PostJobParams calldata params) external returns (JobId jobId);

    /// @notice Cancels an Open (unclaimed) job; its escrow is credited back to the submitter. Only the submitter.
    function cancelJob(JobId jobId) external;

    // ------------------------------------------------------------------ solver

    /// @notice Claims an Open job before its claim deadline and locks `solverStake` of the caller's free stake.
    function claimJob(JobId jobId) external;

    /// @notice Commits checkpoint `index` (0..checkpointCount-1) of a Claimed job before its training
    ///         deadline, appending it to the job's checkpoint chain. In order: `index` must equal
    ///         `committed`. Only the solver.
    /// @param stateRoot State root of the checkpoint (non-zero).
    /// @param cid CID of the checkpoint content; only emitted.
    function commitCheckpoint(JobId jobId, uint32 index, bytes32 stateRoot, bytes calldata cid) external;

    /// @notice Commits the final checkpoint (index `checkpointCount`) and moves the job to Submitted;
    ///         the challenge window starts. Needs every earlier checkpoint. Only the solver, before the training deadline.
    function submitFinal(JobId jobId, bytes32 stateRoot, bytes calldata cid) external;

    // ------------------------------------------------------------------ anyone

    /// @notice Finalizes a Submitted job whose challenge window has passed with no dispute open:
    ///         credits the payment to the solver and unlocks its stake. Anyone.
    function finalize(JobId jobId) external;

    /// @notice Expires a Claimed job whose training deadline has passed with no dispute open:
    ///         refunds the submitter and slashes the solver's stake (submitter / treasury). Anyone.
    function expire(JobId jobId) external;

    /// @notice Sends the caller its whole credit of `token`.
    /// @return amount Tokens sent.
    function withdraw(IERC20 token) external returns (uint256 amount);

    // ------------------------------------------------------------------ dispute game

    /// @notice Opens a dispute on a job: while Claimed before its training deadline, or while
    ///         Submitted inside the challenge window. Blocks finalize and expire until closed, and
    ///         pauses a Claimed job's training deadline while any dispute is open. Only the dispute game.
    function openDispute(JobId jobId) external;

    /// @notice Closes one open dispute on the job. Only the dispute game. Works in any status, so
    ///         the game can settle disputes left open when the job was slashed by another one.
    function closeDispute(JobId jobId, DisputeOutcome outcome) external;

    /// @notice Closes one open dispute that the challenger won: slashes the solver's locked stake
    ///         (challenger / submitter / treasury), refunds the submitter's escrow, moves the job to
    ///         Slashed. Only the dispute game, on a Claimed or Submitted job with a dispute open.
    function slash(JobId jobId, address challenger) external;

    // ------------------------------------------------------------------ owner / wiring

    /// @notice Allows or disallows `token` for new jobs. Jobs already posted and credits are unaffected. Only the owner.
    function setPaymentToken(IERC20 token, bool allowed) external;

    /// @notice Wires the dispute game. Only the owner, once.
    function setDisputeGame(address disputeGame_) external;
}
