// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IElementJudge} from "./interfaces/IElementJudge.sol";
import {IJobMarket} from "./interfaces/IJobMarket.sol";
import {IReductionJudge} from "./interfaces/IReductionJudge.sol";
import {IRelayoutJudge} from "./interfaces/IRelayoutJudge.sol";
import {ISpecReader} from "./interfaces/ISpecReader.sol";
import {LibChunk} from "./libraries/LibChunk.sol";
import {LibDispute} from "./libraries/LibDispute.sol";
import {LibInit} from "./libraries/LibInit.sol";
import {LibMerkle} from "./libraries/LibMerkle.sol";
import {LibOpAdam} from "./libraries/LibOpAdam.sol";
import {LibOpCheck} from "./libraries/LibOpCheck.sol";
import {LibTensor} from "./libraries/LibTensor.sol";
import {LibTransfer} from "./libraries/LibTransfer.sol";
import {JobId} from "./types/JobId.sol";
import {OpDesc} from "./types/OpDesc.sol";
import {Duration, LibTime} from "./types/Time.sol";

/// @title DisputeGame
/// @notice Bisection over a checkpoint interval down to one element of one op, judged by the
///         tolerance rule (docs/PROTOCOL.md §4-§5). Moves are bounded: ceil(log2 k) bisection rounds,
///         then trace, point and opening; no loop runs over anything a party controls the size of
///         beyond its own calldata.
/// @dev Solvency: `bondToken.balanceOf(this) >= sum(bond of live disputes) + sum(deposits held)
///      + sum(credits)`, with equality unless someone sent tokens unasked. Every inflow and outflow
///      is balance-checked (`LibTransfer`).
contract DisputeGame is IDisputeGame, ReentrancyGuardTransient {
    using LibDispute for IDisputeGame.Dispute;

    /// @inheritdoc IDisputeGame
    uint32 public constant NEXT_STATE = type(uint32).max;
    /// @inheritdoc IDisputeGame
    uint32 public constant STATE_COPY = type(uint32).max - 1;
    /// @inheritdoc IDisputeGame
    uint32 public constant INITIAL_STATE = type(uint32).max - 2;

    IJobMarket public immutable market;
    /// @notice Decides the last move; stateless.
    IElementJudge public immutable judge;
    /// @dev The judge's long-reduction judge (IElementJudge.reductions), read once.
    IReductionJudge private immutable _reductionJudge;
    /// @dev The judge's spec-v2 judge (AdamW kinds with their schedule rows) and spec reader, read once.
    IRelayoutJudge private immutable _relayoutJudge;
    ISpecReader private immutable _specReader;
    /// @inheritdoc IDisputeGame
    IERC20 public immutable bondToken;
    /// @inheritdoc IDisputeGame
    uint128 public immutable challengeBond;
    /// @inheritdoc IDisputeGame
    Duration public immutable clockBudget;

    mapping(uint256 disputeId => Dispute) private _disputes;
    /// @dev opCount and stateCount of each dispute's graph, checked against graphRoot at challenge.
    mapping(uint256 disputeId => uint64) private _counts;
    mapping(address account => uint256) private _credits;
    /// @dev Each job's disputes form one FIFO queue: only the oldest open one (active) accepts moves
    ///      and runs its clocks, so a solver regenerates one interval at a time (§5.1, serialization).
    mapping(JobId jobId => uint256 disputeId) private _activeOf;
    mapping(JobId jobId => uint256 disputeId) private _lastOf;
    mapping(uint256 disputeId => uint256 nextId) private _nextOf;
    /// @dev Publication of demanded data: next tensor << 32 | next leaf, and the deposit held for it.
    mapping(uint256 disputeId => uint64 cursor) private _cursorOf;
    mapping(uint256 disputeId => uint128 deposit) private _depositOf;
    /// @dev The claim game of a long reduction's pointed element (§5 step 4b).
    mapping(uint256 disputeId => LibChunk.Node) private _reductionOf;
    uint256 private _disputeCount;

    constructor(IJobMarket market_, IElementJudge judge_, IERC20 bondToken_, uint128 challengeBond_, Duration clockBudget_) {
        if (address(market_) == address(0)) revert DisputeInvalidParameter("market");
        if (address(judge_) == address(0)) revert DisputeInvalidParameter("judge");
        if (address(bondToken_) == address(0)) revert DisputeInvalidParameter("bondToken");
        // A zero bond makes false challenges free; a zero clock makes every dispute a timeout.
        if (challengeBond_ == 0) revert DisputeInvalidParameter("challengeBond");
        if (Duration.unwrap(clockBudget_) == 0) revert DisputeInvalidParameter("clockBudget");
        market = market_;
        judge = judge_;
        _reductionJudge = judge_.reductions();
        _relayoutJudge = judge_.relayoutJudge();
        _specReader = judge_.specReader();
        bondToken = bondToken_;
        challengeBond = challengeBond_;
        clockBudget = clockBudget_;
        emit DisputeGameConfigured(market_, judge_, bondToken_, challengeBond_, clockBudget_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IDisputeGame
    function getDispute(uint256 disputeId) external view returns (Dispute memory) {
        return _disputes[disputeId];
    }

    /// @inheritdoc IDisputeGame
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    /// @inheritdoc IDisputeGame
    function graphCounts(uint256 disputeId) external view returns (uint32 opCount, uint32 stateCount) {
        return _countsOf(disputeId);
    }

    /// @inheritdoc IDisputeGame
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IDisputeGame
    function activeDispute(JobId jobId) external view returns (uint256) {
        return _activeOf[jobId];
    }

    /// @inheritdoc IDisputeGame
    function mover(uint256 disputeId) external view returns (address who, Duration left) {
        Dispute storage d = _disputes[disputeId];
        if (!LibDispute.live(d.stage)) return (address(0), Duration.wrap(0));
        (Duration clockLeft, Duration elapsed) = d.clock(LibTime.now_());
        // A queued dispute's clocks do not run.
        if (_activeOf[d.jobId] != disputeId) elapsed = Duration.wrap(0);
        who = LibDispute.solverToMove(d.stage) ? d.solver : d.challenger;
        left = elapsed >= clockLeft ? Duration.wrap(0) : clockLeft - elapsed;
    }

    // ------------------------------------------------------------------ moves

    /// @inheritdoc IDisputeGame
    function challenge(
        JobId jobId,
        uint32 interval,
        bytes calldata spec,
        GraphCommitment calldata graph,
        IJobMarket.CheckpointProof calldata checkpoints
    )
        external
        nonReentrant
        returns (uint256 disputeId)
    {
        IJobMarket.Job memory job = market.getJob(jobId);
        ISpecReader.SpecView memory view_ = _readSpec(jobId, job.specHash, spec);
        _checkGraph(view_.graphRoot, graph);
        // k = 0 would make bisection endless (every midpoint is lo).
        if (view_.checkpointInterval == 0) revert DisputeSpecInvalid(jobId, "checkpointInterval");
        (bytes32 loRoot, bytes32 hiRoot) = market.intervalRoots(jobId, interval, checkpoints);

        disputeId = ++_disputeCount;
        Dispute storage d = _disputes[disputeId];
        d.jobId = jobId;
        d.solver = job.solver;
        d.challenger = msg.sender;
        d.bond = challengeBond;
        d.lo = uint64(interval) * view_.checkpointInterval;
        d.hi = d.lo + view_.checkpointInterval;
        d.loRoot = loRoot;
        d.hiRoot = hiRoot;
        d.solverClock = clockBudget;
        d.challengerClock = clockBudget;
        d.lastMoveAt = LibTime.now_();
        d.stage = d.afterRange();
        _counts[disputeId] = (uint64(graph.opCount) << 32) | graph.stateCount;
        bool active = _activeOf[jobId] == 0;
        if (active) _activeOf[jobId] = disputeId;
        else _nextOf[_lastOf[jobId]] = disputeId;
        _lastOf[jobId] = disputeId;

        // Market first: it reverts unless the job is disputable now.
        market.openDispute(jobId);
        _pullBond(challengeBond);
        emit DisputeCreated(
            disputeId, jobId, msg.sender, job.solver, interval, d.lo, d.hi, loRoot, hiRoot, challengeBond, graph.opCount, graph.stateCount
        );
        if (active) emit DisputeActivated(disputeId, jobId);
    }

    /// @inheritdoc IDisputeGame
    function postMidpoint(uint256 disputeId, bytes32 stateRoot) external {
        Dispute storage d = _move(disputeId, Stage.AwaitMidpoint);
        if (stateRoot == bytes32(0)) revert DisputeRootZero(disputeId);
        d.midRoot = stateRoot;
        d.stage = Stage.AwaitChoice;
        emit MidpointPosted(disputeId, d.midpoint(), stateRoot);
    }

    /// @inheritdoc IDisputeGame
    function chooseHalf(uint256 disputeId, bool left) external {
        Dispute storage d = _move(disputeId, Stage.AwaitChoice);
        d.choose(left);
        emit HalfChosen(disputeId, left, d.lo, d.hi);
    }

    /// @inheritdoc IDisputeGame
    function demandData(uint256 disputeId) external nonReentrant {
        Dispute storage d = _disputes[disputeId];
        Stage next = d.stage == Stage.AwaitPoint ? Stage.AwaitTraceData : Stage.AwaitStateData;
        _move(disputeId, next == Stage.AwaitTraceData ? Stage.AwaitPoint : Stage.AwaitChoice);
        d.stage = next;
        _cursorOf[disputeId] = 0;
        _depositOf[disputeId] = challengeBond;
        _pullBond(challengeBond);
        emit DataDemanded(disputeId, next, challengeBond);
    }

    /// @inheritdoc IDisputeGame
    function publishData(uint256 disputeId, DataPart calldata part) external {
        Dispute storage d = _disputes[disputeId];
        bool trace = d.stage == Stage.AwaitTraceData;
        _move(disputeId, trace ? Stage.AwaitTraceData : Stage.AwaitStateData);
        (uint32 opCount, uint32 stateCount) = _countsOf(disputeId);
        uint64 cursor = _cursorOf[disputeId];
        uint256 leafBytes = trace ? LibTensor.TRACE_LEAF_BYTES : LibTensor.STATE_LEAF_BYTES;
        uint256 leaves = part.leaves.length / leafBytes;
        if (part.tensor != uint32(cursor >> 32) || part.firstLeaf != uint32(cursor) || leaves == 0 || leaves * leafBytes != part.leaves.length) {
            revert DisputeDataOutOfOrder(disputeId, uint32(cursor >> 32), uint32(cursor));
        }
        // The trace holds the state then every op output (§3.1); a state, its tensors.
        uint256 tensors = trace ? uint256(stateCount) + opCount : stateCount;
        uint256 total = judge.checkDataPart(trace ? d.traceRoot : d.midRoot, tensors, part, leafBytes);
        if (total == 0) revert DisputeDataInvalid(disputeId, part.tensor);
        emit DataPublished(disputeId, part.tensor, part.firstLeaf, uint32(leaves));
        uint256 leaf = part.firstLeaf + leaves;
        uint256 tensor = part.tensor;
        if (leaf == total) (tensor, leaf) = (tensor + 1, 0);
        if (tensor < tensors) {
            // SAFETY: tensor < 2^32 (a count of u32s) and leaf < total < 2^32 (checked by the judge).
            _cursorOf[disputeId] = uint64((tensor << 32) | leaf);
            return;
        }
        // Everything is on-chain now: back to the challenger, and the deposit to the solver.
        d.stage = trace ? Stage.AwaitPoint : Stage.AwaitChoice;
        _cursorOf[disputeId] = 0;
        uint128 deposit = _depositOf[disputeId];
        _depositOf[disputeId] = 0;
        _credit(d.solver, deposit);
    }

    /// @inheritdoc IDisputeGame
    function dataCursor(uint256 disputeId) external view returns (uint32 tensor, uint32 leaf) {
        uint64 cursor = _cursorOf[disputeId];
        return (uint32(cursor >> 32), uint32(cursor));
    }

    /// @inheritdoc IDisputeGame
    function postTrace(uint256 disputeId, bytes32 traceRoot) external {
        Dispute storage d = _move(disputeId, Stage.AwaitTrace);
        if (traceRoot == bytes32(0)) revert DisputeRootZero(disputeId);
        d.traceRoot = traceRoot;
        d.stage = Stage.AwaitPoint;
        emit TracePosted(disputeId, d.lo, traceRoot);
    }

    /// @inheritdoc IDisputeGame
    function point(uint256 disputeId, uint32 op, uint64 element) external {
        Dispute storage d = _move(disputeId, Stage.AwaitPoint);
        (uint32 opCount, uint32 stateCount) = _countsOf(disputeId);
        bool valid;
        if (op == NEXT_STATE || op == STATE_COPY) valid = element >> 32 < stateCount;
        // Checkpoint 0 is judged against the spec's init rule, so only a range that starts there.
        else if (op == INITIAL_STATE) valid = d.lo == 0 && element >> 32 < stateCount;
        else valid = op < opCount;
        if (!valid) revert DisputePointInvalid(disputeId, op, element);
        d.pointOp = op;
        d.pointElement = element;
        d.stage = Stage.AwaitOpening;
        emit ElementPointed(disputeId, op, element);
    }

    /// @inheritdoc IDisputeGame
    function openElement(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitOpening);
        (LibOpCheck.StepRoots memory roots,) = _stepRoots(d, spec, graph);
        bool valid = _pointOutsideOutput(d, roots, op, opProof)
            || judge.checkOpElement(roots, op, d.pointOp, opProof, d.pointElement, inputs, output);
        _resolveOpening(disputeId, d, valid);
    }

    /// @inheritdoc IDisputeGame
    function openAdamElement(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output,
        LibOpAdam.ScheduleRow calldata row
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitOpening);
        (LibOpCheck.StepRoots memory roots, ISpecReader.SpecView memory view_) = _stepRoots(d, spec, graph);
        // Step lo reads row lo of the table the spec commits to (§3.5).
        LibOpAdam.Schedule memory schedule = LibOpAdam.Schedule({root: view_.scheduleRoot, steps: view_.steps, step: d.lo});
        bool valid = _pointOutsideOutput(d, roots, op, opProof)
            || _relayoutJudge.checkAdamElement(roots, op, d.pointOp, opProof, d.pointElement, inputs, output, schedule, row);
        _resolveOpening(disputeId, d, valid);
    }

    /// @inheritdoc IDisputeGame
    function openLoad(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.RecordOpening calldata record,
        LibOpCheck.TensorOpening calldata output
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitOpening);
        (LibOpCheck.StepRoots memory roots, ISpecReader.SpecView memory view_) = _stepRoots(d, spec, graph);
        bool valid = _pointOutsideOutput(d, roots, op, opProof)
            || judge.checkLoadElement(roots, op, d.pointOp, opProof, d.pointElement, _dataContext(view_, d.lo), record, output);
        _resolveOpening(disputeId, d, valid);
    }

    /// @inheritdoc IDisputeGame
    function openStateLink(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        LibOpCheck.StateLinkOpening calldata opening
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitOpening);
        bool next = d.pointOp == NEXT_STATE;
        if (!next && d.pointOp != STATE_COPY) revert DisputePointInvalid(disputeId, d.pointOp, d.pointElement);
        (LibOpCheck.StepRoots memory roots,) = _stepRoots(d, spec, graph);
        uint256 t = d.pointElement >> 32;
        // The trace holds the state at lo first, then the op outputs; the last stateCount outputs
        // are the next state, in state order (§3.1). A block that is not the state's reverts.
        bool holds = judge.checkStateLink(
            next ? d.hiRoot : d.loRoot,
            roots.stateCount,
            t,
            d.traceRoot,
            roots.stateCount + roots.opCount,
            next ? roots.opCount + t : t,
            uint32(d.pointElement),
            opening
        );
        _resolveOpening(disputeId, d, holds);
    }

    /// @inheritdoc IDisputeGame
    function openInitialState(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        LibOpCheck.StateLeafOpening calldata opening
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitOpening);
        if (d.pointOp != INITIAL_STATE) revert DisputePointInvalid(disputeId, d.pointOp, d.pointElement);
        (LibOpCheck.StepRoots memory roots, ISpecReader.SpecView memory view_) = _stepRoots(d, spec, graph);
        uint256 tensor = d.pointElement >> 32;
        (bool exists, LibInit.InitTensor memory init) = _specReader.initTensor(spec, tensor);
        // A tensor the spec does not have: the point is the challenger's fault.
        // d.lo = 0, so loRoot is checkpoint 0 (the range only narrows from its left end).
        bool holds = !exists
            || judge.checkInitialElement(init, view_.initSeed, d.loRoot, roots.stateCount, tensor, uint32(d.pointElement), opening);
        _resolveOpening(disputeId, d, holds);
    }

    /// @inheritdoc IDisputeGame
    function openReduction(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.TensorOpening calldata output,
        LibChunk.Claim[] calldata claims
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitOpening);
        (LibOpCheck.StepRoots memory roots,) = _stepRoots(d, spec, graph);
        if (_pointOutsideOutput(d, roots, op, opProof)) return _resolveOpening(disputeId, d, true);
        (bool valid, LibChunk.Node memory n) = _reductionJudge.openReduction(roots, op, d.pointOp, opProof, d.pointElement, output, claims);
        // y outside the bound of the solver's own claims: nothing left to refine.
        if (!valid) return _resolveOpening(disputeId, d, false);
        _reductionOf[disputeId] = n;
        d.stage = Stage.AwaitClaimChoice;
        emit ClaimsPosted(disputeId, n.first, n.height, n.claimsRoot, n.scale, claims);
    }

    /// @inheritdoc IDisputeGame
    function chooseClaim(uint256 disputeId, uint32 index) external {
        Dispute storage d = _move(disputeId, Stage.AwaitClaimChoice);
        LibChunk.Node storage n = _reductionOf[disputeId];
        LibChunk.checkChoice(n, index);
        n.choice = index;
        d.stage = n.height == 1 ? Stage.AwaitChunk : Stage.AwaitClaims;
        emit ClaimChosen(disputeId, index);
    }

    /// @inheritdoc IDisputeGame
    function postClaims(uint256 disputeId, LibChunk.Claim calldata parent, bytes32[] calldata parentProof, LibChunk.Claim[] calldata claims)
        external
    {
        Dispute storage d = _move(disputeId, Stage.AwaitClaims);
        LibChunk.Node memory n = _reductionJudge.refineClaims(_reductionOf[disputeId], parent, parentProof, claims);
        _reductionOf[disputeId] = n;
        d.stage = Stage.AwaitClaimChoice;
        emit ClaimsPosted(disputeId, n.first, n.height, n.claimsRoot, n.scale, claims);
    }

    /// @inheritdoc IDisputeGame
    function openChunk(
        uint256 disputeId,
        OpDesc calldata op,
        LibChunk.Claim calldata claim,
        bytes32[] calldata claimProof,
        LibOpCheck.TensorOpening[] calldata inputs
    ) external nonReentrant {
        Dispute storage d = _move(disputeId, Stage.AwaitChunk);
        (uint32 opCount, uint32 stateCount) = _countsOf(disputeId);
        // The descriptor was proved against graphRoot at the top move; openChunk checks its leaf.
        LibOpCheck.StepRoots memory roots =
            LibOpCheck.StepRoots({graphRoot: bytes32(0), opCount: opCount, stateCount: stateCount, traceRoot: d.traceRoot});
        bool holds = _reductionJudge.checkChunk(roots, op, d.pointElement, _reductionOf[disputeId], claim, claimProof, inputs);
        _resolveOpening(disputeId, d, holds);
    }

    /// @inheritdoc IDisputeGame
    function reductionOf(uint256 disputeId) external view returns (LibChunk.Node memory) {
        return _reductionOf[disputeId];
    }

    /// @inheritdoc IDisputeGame
    function timeout(uint256 disputeId) external nonReentrant {
        Dispute storage d = _live(disputeId);
        _expectActive(disputeId, d.jobId);
        (Duration left, Duration elapsed) = d.clock(LibTime.now_());
        if (!(elapsed >= left)) revert DisputeClockRunning(disputeId, left, elapsed);
        if (LibDispute.solverToMove(d.stage)) _challengerWins(disputeId, d);
        else _solverWins(disputeId, d);
    }

    /// @inheritdoc IDisputeGame
    function abandon(uint256 disputeId) external nonReentrant {
        Dispute storage d = _live(disputeId);
        IJobMarket.JobStatus status = market.getJob(d.jobId).status;
        if (status == IJobMarket.JobStatus.Claimed || status == IJobMarket.JobStatus.Submitted) revert DisputeNotAbandonable(disputeId);
        d.stage = Stage.Abandoned;
        _advanceQueue(d.jobId, disputeId);
        _refundDeposit(disputeId, d);
        _credit(d.challenger, d.bond);
        market.closeDispute(d.jobId, IJobMarket.DisputeOutcome.Abandoned);
        emit DisputeResolved(disputeId, d.jobId, Stage.Abandoned);
    }

    /// @inheritdoc IDisputeGame
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert DisputeNothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        uint256 sent = LibTransfer.push(bondToken, msg.sender, amount);
        if (sent != amount) revert DisputeBondTransferMismatch(amount, sent);
    }

    // ------------------------------------------------------------------ internals

    function _live(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.stage == Stage.None) revert DisputeUnknown(disputeId);
        if (!LibDispute.live(d.stage)) revert DisputeUnexpectedStage(disputeId, d.stage, Stage.None);
    }

    /// @dev Checks the stage and the caller, and charges the mover's clock.
    function _move(uint256 disputeId, Stage expected) private returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.stage == Stage.None) revert DisputeUnknown(disputeId);
        if (d.stage != expected) revert DisputeUnexpectedStage(disputeId, d.stage, expected);
        address party = LibDispute.solverToMove(expected) ? d.solver : d.challenger;
        if (msg.sender != party) revert DisputeCallerNotParty(disputeId, msg.sender, party);
        _expectActive(disputeId, d.jobId);
        d.charge(disputeId, LibTime.now_());
    }

    function _expectActive(uint256 disputeId, JobId jobId) private view {
        uint256 active = _activeOf[jobId];
        if (active != disputeId) revert DisputeQueued(disputeId, active);
    }

    /// @dev A deposit for data that never came back goes to the challenger (the solver lost or the game ended).
    function _refundDeposit(uint256 disputeId, Dispute storage d) private {
        uint128 deposit = _depositOf[disputeId];
        if (deposit == 0) return;
        _depositOf[disputeId] = 0;
        _credit(d.challenger, deposit);
    }

    /// @dev A resolved dispute leaves its job's queue; when it was the active one, the next in line
    ///      becomes active and its clocks start now (both sides get their whole budget).
    function _advanceQueue(JobId jobId, uint256 disputeId) private {
        if (_activeOf[jobId] != disputeId) return;
        uint256 next = _nextOf[disputeId];
        _activeOf[jobId] = next;
        if (next == 0) return;
        delete _nextOf[disputeId];
        _disputes[next].lastMoveAt = LibTime.now_();
        emit DisputeActivated(next, jobId);
    }

    function _countsOf(uint256 disputeId) private view returns (uint32 opCount, uint32 stateCount) {
        uint64 packed = _counts[disputeId];
        return (uint32(packed >> 32), uint32(packed));
    }

    function _checkGraph(bytes32 expected, GraphCommitment calldata graph) private pure {
        bytes32 graphRoot = sha256(abi.encodePacked(graph.opCount, graph.stateCount, graph.opsRoot));
        if (graphRoot != expected) revert DisputeGraphMismatch(expected, graphRoot);
    }

    /// @dev The spec's canonical bytes must hash to the job's specHash (§2.6); then the reader
    ///      decodes either version.
    function _readSpec(JobId jobId, bytes32 expected, bytes calldata spec) private view returns (ISpecReader.SpecView memory) {
        bytes32 hash = sha256(spec);
        if (hash != expected) revert DisputeSpecMismatch(jobId, expected, hash);
        return _specReader.read(spec);
    }

    /// @dev Verifies the spec and the graph commitment and assembles the step's roots.
    function _stepRoots(Dispute storage d, bytes calldata spec, GraphCommitment calldata graph)
        private
        view
        returns (LibOpCheck.StepRoots memory, ISpecReader.SpecView memory view_)
    {
        view_ = _readSpec(d.jobId, market.getJob(d.jobId).specHash, spec);
        _checkGraph(view_.graphRoot, graph);
        return (LibOpCheck.StepRoots({
            graphRoot: graph.opsRoot,
            opCount: graph.opCount,
            stateCount: graph.stateCount,
            traceRoot: d.traceRoot
        }), view_);
    }

    /// @dev A point past the end of the op's output cannot be opened; it is the challenger's fault.
    function _pointOutsideOutput(Dispute storage d, LibOpCheck.StepRoots memory roots, OpDesc calldata op, bytes32[] calldata opProof)
        private
        view
        returns (bool)
    {
        if (LibMerkle.processProof(op.opLeaf(), d.pointOp, roots.opCount, opProof) != roots.graphRoot) return false;
        uint256 n = 1;
        for (uint256 i = 0; i < op.shape.length; ++i) {
            n *= op.shape[i];
        }
        return d.pointElement >= n;
    }

    function _dataContext(ISpecReader.SpecView memory spec, uint64 step) private pure returns (LibOpCheck.DataContext memory) {
        return LibOpCheck.DataContext({
            datasetRoot: spec.datasetRoot,
            recordCount: spec.recordCount,
            dataSeed: spec.dataSeed,
            step: step,
            featureCount: spec.featureCount,
            outputCount: spec.outputCount,
            featureEncoding: spec.featureEncoding,
            labelEncoding: spec.labelEncoding
        });
    }

    function _resolveOpening(uint256 disputeId, Dispute storage d, bool valid) private {
        emit ElementOpened(disputeId, d.pointOp, d.pointElement, valid);
        if (valid) _solverWins(disputeId, d);
        else _challengerWins(disputeId, d);
    }

    function _solverWins(uint256 disputeId, Dispute storage d) private {
        d.stage = Stage.SolverWon;
        _advanceQueue(d.jobId, disputeId);
        _credit(d.solver, d.bond);
        market.closeDispute(d.jobId, IJobMarket.DisputeOutcome.SolverWon);
        emit DisputeResolved(disputeId, d.jobId, Stage.SolverWon);
    }

    function _challengerWins(uint256 disputeId, Dispute storage d) private {
        d.stage = Stage.ChallengerWon;
        _advanceQueue(d.jobId, disputeId);
        _refundDeposit(disputeId, d);
        _credit(d.challenger, d.bond);
        IJobMarket.JobStatus status = market.getJob(d.jobId).status;
        // Another dispute may have settled the job already; then there is no stake left to take.
        if (status == IJobMarket.JobStatus.Claimed || status == IJobMarket.JobStatus.Submitted) market.slash(d.jobId, d.challenger);
        else market.closeDispute(d.jobId, IJobMarket.DisputeOutcome.ChallengerWon);
        emit DisputeResolved(disputeId, d.jobId, Stage.ChallengerWon);
    }

    function _credit(address account, uint256 amount) private {
        _credits[account] += amount;
        emit Credited(account, amount);
    }

    /// @dev Pulls the bond and checks the balance moved by exactly that much.
    function _pullBond(uint256 amount) private {
        uint256 received = LibTransfer.pull(bondToken, msg.sender, amount);
        if (received != amount) revert DisputeBondTransferMismatch(amount, received);
    }
}
