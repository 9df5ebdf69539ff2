// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {LibCheckpoints} from "./LibCheckpoints.sol";
import {JobId} from "../types/JobId.sol";
import {Duration, LibTime, Timestamp} from "../types/Time.sol";

/// @title LibJob
/// @notice The job state machine. Acts on one `JobStore`; every transition checks the stored
///         status (forward-only, see `IJobMarket.JobStatus`), the clock and the job's own roles
///         (submitter, solver), writes the new state and returns the job. It moves no tokens
///         and emits nothing: the market does both.
library LibJob {
    /// @notice All job state of a market.
    /// @param lastJobId Id of the most recent job; ids start at 1.
    /// @param jobs Job records.
    /// @param heads Head of each job's checkpoint chain (`LibCheckpoints`); zero before the claim.
    /// @param pausedSince When the first of the disputes now open on a Claimed job was opened: its
    ///        training deadline does not run while any is open (it moves on when the last closes).
    struct JobStore {
        uint64 lastJobId;
        mapping(JobId => IJobMarket.Job) jobs;
        mapping(JobId => bytes32 head) heads;
        mapping(JobId => Timestamp since) pausedSince;
    }

    /// @notice The largest number of disputes that may be open on one job at once.
    /// Sybil challenges (by the solver itself) cannot fill it: 2^24 - 1 challenges cost far more
    /// gas than any block space an attacker could buy.
    uint24 internal constant MAX_OPEN_DISPUTES = type(uint24).max;

    // ------------------------------------------------------------------ transitions

    /// @notice None -> Open. Parameters are validated by the caller.
    function create(JobStore storage s, IJobMarket.PostJobParams calldata p, address submitter)
        internal
        returns (JobId id)
    {
        uint64 next = s.lastJobId + 1;
        s.lastJobId = next;
        id = JobId.wrap(next);
        IJobMarket.Job storage job = s.jobs[id];
        job.status = IJobMarket.JobStatus.Open;
        job.checkpointCount = p.checkpointCount;
        job.submitter = submitter;
        job.claimDeadline = p.claimDeadline;
        job.trainingDuration = p.trainingDuration;
        job.token = p.token;
        job.challengeWindow = p.challengeWindow;
        job.payment = p.payment;
        job.solverStake = p.solverStake;
        job.specHash = p.specHash;
    }

    /// @notice Open -> Cancelled, by the submitter.
    function cancel(JobStore storage s, JobId id, address caller) internal returns (IJobMarket.Job storage job) {
        job = s.jobs[id];
        expectStatus(job, id, IJobMarket.JobStatus.Open);
        if (caller != job.submitter) revert IJobMarket.JobCallerNotSubmitter(id, caller);
        job.status = IJobMarket.JobStatus.Cancelled;
    }

    /// @notice Open -> Claimed, at or before the claim deadline; fixes the training deadline and
    ///         starts the checkpoint chain.
    function claim(JobStore storage s, JobId id, address solver) internal returns (IJobMarket.Job storage job) {
        job = s.jobs[id];
        expectStatus(job, id, IJobMarket.JobStatus.Open);
        Timestamp now_ = LibTime.now_();
        if (now_ > job.claimDeadline) revert IJobMarket.JobClaimDeadlinePassed(id, job.claimDeadline, now_);
        job.solver = solver;
        job.status = IJobMarket.JobStatus.Claimed;
        job.trainingDeadline = now_.plus(job.trainingDuration);
        s.heads[id] = LibCheckpoints.EMPTY;
    }

    /// @notice Appends checkpoint `index` < checkpointCount of a Claimed job to its chain, in order,
    ///         by its solver, at or before the training deadline. Touches two slots: the job's first
    ///         (read and counter) and the chain head.
    function commit(JobStore storage s, JobId id, address caller, uint32 index, bytes32 stateRoot) internal {
        IJobMarket.Job storage job = s.jobs[id];
        uint32 count = _checkSolverCanCommit(job, id, caller, stateRoot);
        if (index >= count) revert IJobMarket.JobCheckpointIndexOutOfRange(id, index, count);
        uint16 committed = job.committed;
        if (index != committed) revert IJobMarket.JobCheckpointOutOfOrder(id, index, committed);
        // SAFETY: committed = index < count <= MAX_CHECKPOINTS < 2^16 - 1.
        unchecked {
            job.committed = committed + 1;
        }
        s.heads[id] = LibCheckpoints.link(s.heads[id], index, stateRoot);
    }

    /// @notice Claimed -> Submitted: appends the final checkpoint (index checkpointCount) once every
    ///         earlier one is committed; starts the challenge window.
    /// @return job The job.
    /// @return index The final checkpoint's index.
    function submit(JobStore storage s, JobId id, address caller, bytes32 stateRoot)
        internal
        returns (IJobMarket.Job storage job, uint32 index)
    {
        job = s.jobs[id];
        index = _checkSolverCanCommit(job, id, caller, stateRoot);
        uint16 committed = job.committed;
        if (committed != index) revert IJobMarket.JobCheckpointMissing(id, committed);
        // SAFETY: committed = count <= MAX_CHECKPOINTS < 2^16 - 1.
        unchecked {
            job.committed = committed + 1;
        }
        s.heads[id] = LibCheckpoints.link(s.heads[id], index, stateRoot);
        job.status = IJobMarket.JobStatus.Submitted;
        job.challengeDeadline = LibTime.now_().plus(job.challengeWindow);
    }

    /// @notice Submitted -> Finalized, after the challenge window, with no dispute open.
    function finalize(JobStore storage s, JobId id) internal returns (IJobMarket.Job storage job) {
        job = s.jobs[id];
        expectStatus(job, id, IJobMarket.JobStatus.Submitted);
        Timestamp now_ = LibTime.now_();
        if (now_ <= job.challengeDeadline) revert IJobMarket.JobChallengeWindowOpen(id, job.challengeDeadline, now_);
        if (job.openDisputes != 0) revert IJobMarket.JobDisputesOpen(id, job.openDisputes);
        job.status = IJobMarket.JobStatus.Finalized;
    }

    /// @notice Claimed -> Expired, after the training deadline, with no dispute open.
    function expire(JobStore storage s, JobId id) internal returns (IJobMarket.Job storage job) {
        job = s.jobs[id];
        expectStatus(job, id, IJobMarket.JobStatus.Claimed);
        Timestamp now_ = LibTime.now_();
        if (now_ <= job.trainingDeadline) {
            revert IJobMarket.JobTrainingDeadlineNotPassed(id, job.trainingDeadline, now_);
        }
        if (job.openDisputes != 0) revert IJobMarket.JobDisputesOpen(id, job.openDisputes);
        job.status = IJobMarket.JobStatus.Expired;
    }

    /// @notice Counts one more open dispute: Claimed at or before the training deadline, or
    ///         Submitted at or before the challenge deadline.
    /// @return open Disputes open after this one.
    function openDispute(JobStore storage s, JobId id) internal returns (uint24 open) {
        IJobMarket.Job storage job = s.jobs[id];
        IJobMarket.JobStatus status = job.status;
        Timestamp now_ = LibTime.now_();
        open = job.openDisputes;
        if (status == IJobMarket.JobStatus.Claimed) {
            // While a dispute is open the deadline is paused, so it has not passed.
            if (open == 0 && now_ > job.trainingDeadline) {
                revert IJobMarket.JobTrainingDeadlinePassed(id, job.trainingDeadline, now_);
            }
        } else if (status == IJobMarket.JobStatus.Submitted) {
            if (now_ > job.challengeDeadline) {
                revert IJobMarket.JobChallengeWindowClosed(id, job.challengeDeadline, now_);
            }
        } else {
            revert IJobMarket.JobNotDisputable(id, status);
        }
        if (open == MAX_OPEN_DISPUTES) revert IJobMarket.JobTooManyDisputes(id);
        if (open == 0 && status == IJobMarket.JobStatus.Claimed) s.pausedSince[id] = now_;
        open += 1;
        job.openDisputes = open;
    }

    /// @notice Counts one dispute fewer, in any status. When the last one of a Claimed job closes,
    ///         its training deadline moves by the time disputes were open.
    /// @return open Disputes still open.
    /// @return extended Whether the training deadline moved.
    function closeDispute(JobStore storage s, JobId id) internal returns (uint24 open, bool extended) {
        IJobMarket.Job storage job = s.jobs[id];
        open = job.openDisputes;
        if (open == 0) revert IJobMarket.JobNoOpenDispute(id);
        open -= 1;
        job.openDisputes = open;
        Timestamp since = s.pausedSince[id];
        if (open == 0 && job.status == IJobMarket.JobStatus.Claimed && Timestamp.unwrap(since) != 0) {
            // A job is paused only between a claim and its deadline, so both fit in uint40 and uint32 here.
            job.trainingDeadline = job.trainingDeadline.plus(Duration.wrap(uint32(Timestamp.unwrap(LibTime.now_()) - Timestamp.unwrap(since))));
            extended = true;
        }
        if (open == 0) s.pausedSince[id] = Timestamp.wrap(0);
    }

    /// @notice Claimed | Submitted -> Slashed, closing one open dispute (the one the challenger won).
    function slash(JobStore storage s, JobId id) internal returns (IJobMarket.Job storage job) {
        job = s.jobs[id];
        IJobMarket.JobStatus status = job.status;
        if (status != IJobMarket.JobStatus.Claimed && status != IJobMarket.JobStatus.Submitted) {
            revert IJobMarket.JobNotDisputable(id, status);
        }
        uint24 open = job.openDisputes;
        if (open == 0) revert IJobMarket.JobNoOpenDispute(id);
        job.openDisputes = open - 1;
        job.status = IJobMarket.JobStatus.Slashed;
    }

    // ------------------------------------------------------------------ checks and views

    /// @notice State roots of checkpoints `interval` and `interval + 1` of job `id`, checked against
    ///         its chain: `proof` must be the whole committed suffix from `interval` on.
    function intervalRoots(JobStore storage s, JobId id, uint32 interval, IJobMarket.CheckpointProof calldata proof)
        internal
        view
        returns (bytes32 lo, bytes32 hi)
    {
        uint256 n = proof.roots.length;
        uint256 committed = s.jobs[id].committed;
        if (n < 2 || uint256(interval) + n != committed) revert IJobMarket.JobCheckpointProofInvalid(id, interval);
        if (LibCheckpoints.fold(proof.prefix, interval, proof.roots) != s.heads[id]) {
            revert IJobMarket.JobCheckpointProofInvalid(id, interval);
        }
        return (proof.roots[0], proof.roots[1]);
    }

    /// @notice Reverts with `JobUnexpectedStatus` unless the job's stored status is `expected`.
    function expectStatus(IJobMarket.Job storage job, JobId id, IJobMarket.JobStatus expected) internal view {
        IJobMarket.JobStatus current = job.status;
        if (current != expected) revert IJobMarket.JobUnexpectedStatus(id, current, expected);
    }

    /// @notice Whether `finalize` would succeed now.
    function isFinalizable(JobStore storage s, JobId id) internal view returns (bool) {
        IJobMarket.Job storage job = s.jobs[id];
        return job.status == IJobMarket.JobStatus.Submitted && LibTime.now_() > job.challengeDeadline
            && job.openDisputes == 0;
    }

    /// @notice Whether `expire` would succeed now.
    function isExpirable(JobStore storage s, JobId id) internal view returns (bool) {
        IJobMarket.Job storage job = s.jobs[id];
        return job.status == IJobMarket.JobStatus.Claimed && LibTime.now_() > job.trainingDeadline
            && job.openDisputes == 0;
    }

    /// @notice Whether `openDispute` would succeed now.
    function isDisputable(JobStore storage s, JobId id) internal view returns (bool) {
        IJobMarket.Job storage job = s.jobs[id];
        Timestamp now_ = LibTime.now_();
        if (job.openDisputes == MAX_OPEN_DISPUTES) return false;
        if (job.status == IJobMarket.JobStatus.Claimed) return job.openDisputes != 0 || now_ <= job.trainingDeadline;
        if (job.status == IJobMarket.JobStatus.Submitted) return now_ <= job.challengeDeadline;
        return false;
    }

    /// @dev Checks shared by `commit` and `submit`; reads only the job's first slot.
    /// @return count The job's checkpointCount.
    function _checkSolverCanCommit(IJobMarket.Job storage job, JobId id, address caller, bytes32 stateRoot)
        private
        view
        returns (uint32 count)
    {
        expectStatus(job, id, IJobMarket.JobStatus.Claimed);
        if (caller != job.solver) revert IJobMarket.JobCallerNotSolver(id, caller);
        Timestamp now_ = LibTime.now_();
        // The deadline is paused while a dispute is open.
        if (now_ > job.trainingDeadline && job.openDisputes == 0) revert IJobMarket.JobTrainingDeadlinePassed(id, job.trainingDeadline, now_);
        if (stateRoot == 0) revert IJobMarket.JobStateRootZero(id);
        count = job.checkpointCount;
    }
}
