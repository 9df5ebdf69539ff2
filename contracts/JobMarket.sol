// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IStakingVault} from "./interfaces/IStakingVault.sol";
import {LibCheckpoints} from "./libraries/LibCheckpoints.sol";
import {LibJob} from "./libraries/LibJob.sol";
import {LibTransfer} from "./libraries/LibTransfer.sol";
import {JobId} from "./types/JobId.sol";
import {Duration, LibTime, Timestamp} from "./types/Time.sol";

/// @title JobMarket
/// @notice Job escrow and life cycle. The state machine lives in `LibJob`; this contract checks
///         access, moves tokens (pull payments only) and emits events.
/// @dev Solvency: for every token T, `T.balanceOf(this) == sum(payment of Open/Claimed/Submitted
///      jobs in T) + sum(credits in T)`. Every inflow and outflow is balance-checked, so a
///      fee-on-transfer or lying token reverts instead of breaking it; credits are kept per token,
///      so a misbehaving token can at worst corrupt its own ledger.
contract JobMarket is IJobMarket, Ownable2Step, ReentrancyGuardTransient {
    using LibJob for LibJob.JobStore;

    uint256 private constant BPS = 10_000;

    /// @inheritdoc IJobMarket
    IStakingVault public immutable vault;
    /// @dev The vault's stake token; slashed stake is credited in it.
    IERC20 private immutable _stakeToken;
    address private immutable _treasury;
    uint16 private immutable _challengerBps;
    uint16 private immutable _submitterBps;
    uint16 private immutable _expirySubmitterBps;
    uint128 private immutable _minSolverStake;
    Duration private immutable _minChallengeWindow;

    /// @inheritdoc IJobMarket
    address public disputeGame;
    /// @inheritdoc IJobMarket
    mapping(IERC20 token => bool allowed) public isPaymentToken;
    mapping(address account => mapping(IERC20 token => uint256 amount)) private _credits;
    LibJob.JobStore private _store;

    /// @param vault_ The staking vault (its `setMarket` must then be called with this market).
    /// @param params Economic parameters; see `MarketParameters`.
    /// @param paymentTokens Tokens allowed for payment from the start.
    /// @param initialOwner Owner of the token allowlist and of the one-time dispute game wiring.
    constructor(
        IStakingVault vault_,
        MarketParameters memory params,
        IERC20[] memory paymentTokens,
        address initialOwner
    ) Ownable(initialOwner) {
        if (address(vault_) == address(0)) revert JobMarketInvalidParameters("vault");
        if (params.treasury == address(0)) revert JobMarketInvalidParameters("treasury");
        if (uint256(params.challengerBps) + params.submitterBps > BPS) {
            revert JobMarketInvalidParameters("challengerBps+submitterBps");
        }
        if (params.expirySubmitterBps > BPS) revert JobMarketInvalidParameters("expirySubmitterBps");
        if (params.minSolverStake == 0) revert JobMarketInvalidParameters("minSolverStake");
        if (Duration.unwrap(params.minChallengeWindow) == 0) revert JobMarketInvalidParameters("minChallengeWindow");
        vault = vault_;
        _stakeToken = vault_.stakeToken();
        _treasury = params.treasury;
        _challengerBps = params.challengerBps;
        _submitterBps = params.submitterBps;
        _expirySubmitterBps = params.expirySubmitterBps;
        _minSolverStake = params.minSolverStake;
        _minChallengeWindow = params.minChallengeWindow;
        for (uint256 i = 0; i < paymentTokens.length; ++i) {
            _setPaymentToken(paymentTokens[i], true);
        }
    }

    modifier onlyDisputeGame() {
        if (msg.sender != disputeGame || msg.sender == address(0)) revert JobMarketCallerNotDisputeGame(msg.sender);
        _;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IJobMarket
    function parameters() external view returns (MarketParameters memory) {
        return MarketParameters({
            treasury: _treasury,
            challengerBps: _challengerBps,
            submitterBps: _submitterBps,
            expirySubmitterBps: _expirySubmitterBps,
            minSolverStake: _minSolverStake,
            minChallengeWindow: _minChallengeWindow
        });
    }

    /// @inheritdoc IJobMarket
    function lastJobId() external view returns (JobId) {
        return JobId.wrap(_store.lastJobId);
    }

    /// @inheritdoc IJobMarket
    function getJob(JobId jobId) external view returns (Job memory) {
        return _store.jobs[jobId];
    }

    /// @inheritdoc IJobMarket
    function checkpointChain(JobId jobId) external view returns (bytes32 head, uint32 committed) {
        return (_store.heads[jobId], _store.jobs[jobId].committed);
    }

    /// @inheritdoc IJobMarket
    function intervalRoots(JobId jobId, uint32 interval, CheckpointProof calldata proof)
        external
        view
        returns (bytes32 lo, bytes32 hi)
    {
        return _store.intervalRoots(jobId, interval, proof);
    }

    /// @inheritdoc IJobMarket
    function isFinalizable(JobId jobId) external view returns (bool) {
        return _store.isFinalizable(jobId);
    }

    /// @inheritdoc IJobMarket
    function isExpirable(JobId jobId) external view returns (bool) {
        return _store.isExpirable(jobId);
    }

    /// @inheritdoc IJobMarket
    function isDisputable(JobId jobId) external view returns (bool) {
        return _store.isDisputable(jobId);
    }

    /// @inheritdoc IJobMarket
    function creditOf(address account, IERC20 token) external view returns (uint256) {
        return _credits[account][token];
    }

    // ------------------------------------------------------------------ submitter

    /// @inheritdoc IJobMarket
    function postJob(PostJobParams calldata p) external nonReentrant returns (JobId jobId) {
        // Until the game is wired no dispute can be opened, so no job may be posted (deployment
        // happens in steps; a job claimed in between could never be challenged).
        if (disputeGame == address(0)) revert JobMarketNotWired();
        if (!isPaymentToken[p.token]) revert JobMarketTokenNotAllowed(p.token);
        if (p.specHash == 0) revert JobInvalidParameter("specHash");
        if (p.checkpointCount == 0 || p.checkpointCount > LibCheckpoints.MAX_CHECKPOINTS) {
            revert JobInvalidParameter("checkpointCount");
        }
        if (p.payment == 0) revert JobInvalidParameter("payment");
        if (p.solverStake < _minSolverStake) revert JobInvalidParameter("solverStake");
        if (!(p.claimDeadline > LibTime.now_())) revert JobInvalidParameter("claimDeadline");
        if (Duration.unwrap(p.trainingDuration) == 0) revert JobInvalidParameter("trainingDuration");
        if (Duration.unwrap(p.challengeWindow) < Duration.unwrap(_minChallengeWindow)) {
            revert JobInvalidParameter("challengeWindow");
        }
        jobId = _store.create(p, msg.sender);
        emit JobPosted(
            jobId,
            msg.sender,
            p.specHash,
            p.token,
            p.payment,
            p.solverStake,
            p.checkpointCount,
            p.claimDeadline,
            p.trainingDuration,
            p.challengeWindow
        );
        _pullExact(p.token, msg.sender, p.payment);
    }

    /// @inheritdoc IJobMarket
    function cancelJob(JobId jobId) external nonReentrant {
        Job storage job = _store.cancel(jobId, msg.sender);
        emit JobCancelled(jobId);
        _credit(job.submitter, job.token, job.payment);
    }

    // ------------------------------------------------------------------ solver

    /// @inheritdoc IJobMarket
    function claimJob(JobId jobId) external nonReentrant {
        Job storage job = _store.claim(jobId, msg.sender);
        emit JobClaimed(jobId, msg.sender, job.trainingDeadline);
        vault.lock(msg.sender, job.solverStake);
    }

    /// @inheritdoc IJobMarket
    function commitCheckpoint(JobId jobId, uint32 index, bytes32 stateRoot, bytes calldata cid) external {
        // No token moves and no external calls: no reentrancy guard needed.
        _store.commit(jobId, msg.sender, index, stateRoot);
        emit CheckpointCommitted(jobId, index, stateRoot, cid);
    }

    /// @inheritdoc IJobMarket
    function submitFinal(JobId jobId, bytes32 stateRoot, bytes calldata cid) external {
        (Job storage job, uint32 index) = _store.submit(jobId, msg.sender, stateRoot);
        emit CheckpointCommitted(jobId, index, stateRoot, cid);
        emit JobSubmitted(jobId, job.challengeDeadline);
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc IJobMarket
    function finalize(JobId jobId) external nonReentrant {
        Job storage job = _store.finalize(jobId);
        address solver = job.solver;
        emit JobFinalized(jobId, solver);
        _credit(solver, job.token, job.payment);
        vault.unlock(solver, job.solverStake);
    }

    /// @inheritdoc IJobMarket
    function expire(JobId jobId) external nonReentrant {
        Job storage job = _store.expire(jobId);
        address solver = job.solver;
        uint256 stake = job.solverStake;
        emit JobExpired(jobId, solver, stake);
        _credit(job.submitter, job.token, job.payment);
        _receiveSlash(solver, stake);
        uint256 submitterShare = stake * _expirySubmitterBps / BPS;
        _credit(job.submitter, _stakeToken, submitterShare);
        _credit(_treasury, _stakeToken, stake - submitterShare);
    }

    /// @inheritdoc IJobMarket
    function withdraw(IERC20 token) external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender][token];
        if (amount == 0) revert JobMarketNothingToWithdraw(msg.sender, token);
        _credits[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, amount);
        _pushExact(token, msg.sender, amount);
    }

    // ------------------------------------------------------------------ dispute game

    /// @inheritdoc IJobMarket
    function openDispute(JobId jobId) external onlyDisputeGame {
        uint24 open = _store.openDispute(jobId);
        emit DisputeOpened(jobId, open);
    }

    /// @inheritdoc IJobMarket
    function closeDispute(JobId jobId, DisputeOutcome outcome) external onlyDisputeGame {
        (uint24 open, bool extended) = _store.closeDispute(jobId);
        emit DisputeClosed(jobId, outcome, open);
        if (extended) emit TrainingDeadlineExtended(jobId, _store.jobs[jobId].trainingDeadline);
    }

    /// @inheritdoc IJobMarket
    function slash(JobId jobId, address challenger) external onlyDisputeGame nonReentrant {
        Job storage job = _store.slash(jobId);
        address solver = job.solver;
        uint256 stake = job.solverStake;
        emit DisputeClosed(jobId, DisputeOutcome.ChallengerWon, job.openDisputes);
        emit JobSlashed(jobId, solver, challenger, stake);
        _credit(job.submitter, job.token, job.payment);
        _receiveSlash(solver, stake);
        uint256 challengerShare = stake * _challengerBps / BPS;
        uint256 submitterShare = stake * _submitterBps / BPS;
        _credit(challenger, _stakeToken, challengerShare);
        _credit(job.submitter, _stakeToken, submitterShare);
        _credit(_treasury, _stakeToken, stake - challengerShare - submitterShare);
    }

    // ------------------------------------------------------------------ owner

    /// @inheritdoc IJobMarket
    function setPaymentToken(IERC20 token, bool allowed) external onlyOwner {
        _setPaymentToken(token, allowed);
    }

    /// @inheritdoc IJobMarket
    function setDisputeGame(address disputeGame_) external onlyOwner {
        if (disputeGame != address(0)) revert JobMarketDisputeGameAlreadySet(disputeGame);
        if (disputeGame_ == address(0)) revert JobMarketInvalidParameters("disputeGame");
        disputeGame = disputeGame_;
        emit DisputeGameSet(disputeGame_);
    }

    // ------------------------------------------------------------------ internals

    function _setPaymentToken(IERC20 token, bool allowed) private {
        if (address(token) == address(0)) revert JobMarketInvalidParameters("token");
        isPaymentToken[token] = allowed;
        emit PaymentTokenSet(token, allowed);
    }

    /// @dev Credits `amount` of `token` to `account`; a zero amount is skipped.
    function _credit(address account, IERC20 token, uint256 amount) private {
        if (amount == 0) return;
        _credits[account][token] += amount;
        emit Credited(account, token, amount);
    }

    /// @dev Has the vault send `amount` of slashed stake here and checks it arrived in full.
    function _receiveSlash(address solver, uint256 amount) private {
        uint256 before = _stakeToken.balanceOf(address(this));
        vault.slash(solver, amount, address(this));
        uint256 received = LibTransfer.gainedSince(_stakeToken, before);
        if (received != amount) revert JobMarketTransferMismatch(_stakeToken, amount, received);
    }

    /// @dev Pulls exactly `amount` of `token` from `from`, measured by this contract's balance.
    function _pullExact(IERC20 token, address from, uint256 amount) private {
        uint256 received = LibTransfer.pull(token, from, amount);
        if (received != amount) revert JobMarketTransferMismatch(token, amount, received);
    }

    /// @dev Sends exactly `amount` of `token` to `to`, measured by this contract's balance.
    function _pushExact(IERC20 token, address to, uint256 amount) private {
        uint256 sent = LibTransfer.push(token, to, amount);
        if (sent != amount) revert JobMarketTransferMismatch(token, amount, sent);
    }
}
