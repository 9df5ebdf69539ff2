// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IElementJudge} from "./IElementJudge.sol";
import {IJobMarket} from "./IJobMarket.sol";
import {JobId} from "../types/JobId.sol";
import {OpDesc} from "../types/OpDesc.sol";
import {Duration, Timestamp} from "../types/Time.sol";
import {LibChunk} from "../libraries/LibChunk.sol";
import {LibOpAdam} from "../libraries/LibOpAdam.sol";
import {LibOpCheck} from "../libraries/LibOpCheck.sol";

/// @title IDisputeGame
/// @notice The dispute game of docs/PROTOCOL.md §5: a challenger disputes one checkpoint interval,
///         bisection narrows it to one step, the solver posts that step's op trace, the challenger
///         names one output element, and the solver must open it within the tolerance rule (§4).
///         Single claimant, solver proves; chess clocks per side; running out loses.
interface IDisputeGame {
    /// @notice Whose move it is, and what move is expected.
    enum Stage {
        None,
        AwaitMidpoint, // solver: post the state root at the midpoint step
        AwaitChoice, // challenger: pick the half holding an invalid transition
        AwaitTrace, // solver: post the op-trace root of the single disputed step
        AwaitPoint, // challenger: name one output element (or one next-state tensor)
        AwaitOpening, // solver: open it with proofs
        AwaitStateData, // solver: publish the midpoint state in calldata, leaf by leaf (demanded)
        AwaitTraceData, // solver: publish the op trace in calldata, leaf by leaf (demanded)
        AwaitClaimChoice, // challenger: pick the claim of a long reduction that is wrong
        AwaitClaims, // solver: refine the picked claim into its children's claims
        AwaitChunk, // solver: open the picked chunk's terms
        SolverWon,
        ChallengerWon,
        Abandoned
    }

    /// @notice One dispute. Steps are absolute step numbers of the job; [lo, hi] is the disputed
    ///         range, whose end states have roots loRoot and hiRoot. Clocks are the time each side
    ///         has left; lastMoveAt starts the mover's.
    /// @dev Packed so that a move touches two slots: the game's (slot 0) and the mover's, which
    ///      holds its address next to its clock (bytes, low-order first within a slot).
    ///      slot 0: jobId (8) | stage (1) | lastMoveAt (5) | lo (8) | hi (8)
    ///      slot 1: solver (20) | solverClock (4) | pointOp (4)
    ///      slot 2: challenger (20) | challengerClock (4)
    ///      slot 3: bond (16) | pointElement (8)
    ///      slots 4-7: loRoot, hiRoot, midRoot, traceRoot
    struct Dispute {
        JobId jobId;
        Stage stage;
        Timestamp lastMoveAt;
        uint64 lo;
        uint64 hi;
        address solver;
        Duration solverClock;
        uint32 pointOp;
        address challenger;
        Duration challengerClock;
        uint128 bond;
        uint64 pointElement;
        bytes32 loRoot;
        bytes32 hiRoot;
        bytes32 midRoot;
        bytes32 traceRoot;
    }

    /// @notice A contiguous run of leaves of one tensor of the data the challenger demanded (the
    ///         midpoint state in the state layout, or the op trace in the trace layout), with the
    ///         range proof in the tensor's tree and the tensor root's proof in the state or trace root.
    struct DataPart {
        uint32 tensor;
        uint32 firstLeaf;
        uint32[] shape;
        bytes leaves;
        bytes32[] leafProof;
        bytes32[] rootProof;
    }

    /// @notice The counts and op root that graphRoot commits to: graphRoot = sha256(opCount ||
    ///         stateCount || opsRoot) with u32 big-endian counts (§3.1).
    struct GraphCommitment {
        uint32 opCount;
        uint32 stateCount;
        bytes32 opsRoot;
    }

    /// @notice Marks a point at the next state rather than an op output: pointOp == NEXT_STATE,
    ///         pointElement = tensor · 2^32 + element of that tensor.
    function NEXT_STATE() external view returns (uint32);
    /// @notice Marks a point at the trace's copy of the state at step lo: pointOp == STATE_COPY,
    ///         pointElement = tensor · 2^32 + element of that tensor.
    function STATE_COPY() external view returns (uint32);
    /// @notice Marks a point at checkpoint 0 itself, judged against the spec's init rule (§3.2):
    ///         pointOp == INITIAL_STATE, pointElement = tensor · 2^32 + element; only while lo = 0.
    function INITIAL_STATE() external view returns (uint32);

    /// @notice The game's fixed parameters, once, at deployment.
    event DisputeGameConfigured(IJobMarket market, IElementJudge judge, IERC20 bondToken, uint128 challengeBond, Duration clockBudget);
    /// @notice A dispute opened: everything an indexer needs to follow it (both clocks start at
    ///         clockBudget; the graph's counts bound the points).
    event DisputeCreated(
        uint256 indexed disputeId,
        JobId indexed jobId,
        address indexed challenger,
        address solver,
        uint32 interval,
        uint64 lo,
        uint64 hi,
        bytes32 loRoot,
        bytes32 hiRoot,
        uint128 bond,
        uint32 opCount,
        uint32 stateCount
    );
    /// @notice The dispute became its job's active one: its clocks run from this block (at creation
    ///         when no other dispute of the job was open, else when the one before it resolved).
    event DisputeActivated(uint256 indexed disputeId, JobId indexed jobId);
    /// @notice The challenger demanded the data behind the posted midpoint (AwaitStateData) or trace
    ///         (AwaitTraceData), with a deposit of `deposit` that goes to the solver once it is published.
    event DataDemanded(uint256 indexed disputeId, Stage stage, uint128 deposit);
    /// @notice Leaves [firstLeaf, firstLeaf + leafCount) of tensor `tensor` of the demanded data were
    ///         published, proved, in this transaction's calldata (`publishData`).
    event DataPublished(uint256 indexed disputeId, uint32 tensor, uint32 firstLeaf, uint32 leafCount);
    event MidpointPosted(uint256 indexed disputeId, uint64 step, bytes32 stateRoot);
    event HalfChosen(uint256 indexed disputeId, bool left, uint64 lo, uint64 hi);
    event TracePosted(uint256 indexed disputeId, uint64 step, bytes32 traceRoot);
    event ElementPointed(uint256 indexed disputeId, uint32 op, uint64 element);
    /// @notice The solver committed the claims of node (first, height)'s children (§5 step 4b); the
    ///         element's scale is fixed by the top claims. The claims are in the event: the challenger
    ///         reads them from the log.
    event ClaimsPosted(uint256 indexed disputeId, uint32 first, uint8 height, bytes32 claimsRoot, int32 scale, LibChunk.Claim[] claims);
    /// @notice The challenger picked child `index` of the current claim-tree node.
    event ClaimChosen(uint256 indexed disputeId, uint32 index);
    event ElementOpened(uint256 indexed disputeId, uint32 op, uint64 element, bool valid);
    event DisputeResolved(uint256 indexed disputeId, JobId indexed jobId, Stage outcome);
    event Credited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice No dispute with this id.
    error DisputeUnknown(uint256 disputeId);
    /// @notice The dispute expects another move.
    error DisputeUnexpectedStage(uint256 disputeId, Stage current, Stage expected);
    /// @notice Only the solver or the challenger of this dispute may make this move.
    error DisputeCallerNotParty(uint256 disputeId, address caller, address expected);
    /// @notice The mover's clock ran out; call `timeout` instead.
    error DisputeClockExpired(uint256 disputeId, Duration left, Duration elapsed);
    /// @notice `timeout` was called while the mover still has time.
    error DisputeClockRunning(uint256 disputeId, Duration left, Duration elapsed);
    /// @notice The supplied spec does not hash to the job's specHash.
    error DisputeSpecMismatch(JobId jobId, bytes32 expected, bytes32 actual);
    /// @notice The graph commitment does not hash to the spec's graphRoot.
    error DisputeGraphMismatch(bytes32 expected, bytes32 actual);
    /// @notice A zero root was posted.
    error DisputeRootZero(uint256 disputeId);
    /// @notice The point names an op or element outside the graph.
    error DisputePointInvalid(uint256 disputeId, uint32 op, uint64 element);
    /// @notice The bond token moved a different amount than asked (fee-on-transfer or lying token).
    error DisputeBondTransferMismatch(uint256 expected, uint256 actual);
    /// @notice The dispute is still live and its job was not settled by another dispute.
    error DisputeNotAbandonable(uint256 disputeId);
    /// @notice Nothing to withdraw.
    error DisputeNothingToWithdraw(address account);
    /// @notice The part does not continue the publication where it stands (tensor, first leaf), or has no whole leaf.
    error DisputeDataOutOfOrder(uint256 disputeId, uint32 tensor, uint32 firstLeaf);
    /// @notice The published leaves do not prove against the posted root.
    error DisputeDataInvalid(uint256 disputeId, uint32 tensor);
    /// @notice Another dispute of the same job is active; this one waits in line (its clocks do not run).
    error DisputeQueued(uint256 disputeId, uint256 activeDisputeId);
    /// @notice A constructor parameter is zero or unusable.
    error DisputeInvalidParameter(string field);
    /// @notice The job's spec cannot be disputed as posted (a field the game cannot play over).
    error DisputeSpecInvalid(JobId jobId, string field);

    /// @notice The bond token (the staking vault's stake token).
    function bondToken() external view returns (IERC20);
    /// @notice Bond a challenger posts; forfeited to the solver if the solver wins.
    function challengeBond() external view returns (uint128);
    /// @notice Seconds each side may spend on its moves in one dispute.
    function clockBudget() external view returns (Duration);
    function getDispute(uint256 disputeId) external view returns (Dispute memory);
    function disputeCount() external view returns (uint256);
    /// @notice The op and state counts of the dispute's graph (checked against graphRoot at challenge).
    function graphCounts(uint256 disputeId) external view returns (uint32 opCount, uint32 stateCount);
    function creditOf(address account) external view returns (uint256);
    /// @notice The job's active dispute (0 when none is open): disputes of a job are played one at
    ///         a time, oldest first; the others accept no move and their clocks do not run.
    function activeDispute(JobId jobId) external view returns (uint256);
    /// @notice The party whose move it is and the seconds its clock has left now: 0 once it ran out
    ///         (`timeout` succeeds from then on), and 0 when resolved. A queued dispute's clock stands still.
    function mover(uint256 disputeId) external view returns (address who, Duration left);

    /// @notice Open a pointed element of a long reduction (MATMUL, ROW_SUM with K > CHUNK_TERMS) by
    ///         claims (§5 step 4b): the descriptor and output as for openElement, and one claim per
    ///         child of the claim tree's root. y outside the bound of their combination loses at
    ///         once; otherwise the challenger picks a claim (AwaitClaimChoice). A point past the
    ///         op's output is the challenger's fault. Reverts on a bad proof or malformed claims.
    function openReduction(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.TensorOpening calldata output,
        LibChunk.Claim[] calldata claims
    ) external;

    /// @notice Pick child `index` of the current node's claims (the one the challenger disputes).
    ///         Reverts when the node has no such child.
    function chooseClaim(uint256 disputeId, uint32 index) external;

    /// @notice Refine the picked claim `parent` (proved in the committed list) into one claim per
    ///         child; reverts unless they combine to it exactly.
    function postClaims(uint256 disputeId, LibChunk.Claim calldata parent, bytes32[] calldata parentProof, LibChunk.Claim[] calldata claims)
        external;

    /// @notice Open the picked chunk: its claim (proved in the list) and its terms (proved in the
    ///         trace). The solver wins iff the claim is exactly the chunk's.
    function openChunk(
        uint256 disputeId,
        OpDesc calldata op,
        LibChunk.Claim calldata claim,
        bytes32[] calldata claimProof,
        LibOpCheck.TensorOpening[] calldata inputs
    ) external;

    /// @notice The claim-tree position of a dispute in a long reduction's claim game.
    function reductionOf(uint256 disputeId) external view returns (LibChunk.Node memory);

    /// @notice Challenge interval `interval` (checkpoint `interval` to `interval + 1`) of a job with
    ///         the bond; `spec`, the spec's canonical bytes (abi.encode of its version's tuple, §2.6),
    ///         must hash to the job's specHash (it fixes k) and `graph` to its
    ///         graphRoot (it fixes the op and state counts); `checkpoints` proves the interval's two
    ///         state roots against the job's checkpoint chain (`IJobMarket.intervalRoots`). Opens a
    ///         market dispute.
    function challenge(
        JobId jobId,
        uint32 interval,
        bytes calldata spec,
        GraphCommitment calldata graph,
        IJobMarket.CheckpointProof calldata checkpoints
    ) external returns (uint256 disputeId);
    /// @notice Solver: the state root at step (lo + hi) / 2.
    function postMidpoint(uint256 disputeId, bytes32 stateRoot) external;
    /// @notice Challenger: `left` keeps [lo, mid], otherwise [mid, hi].
    function chooseHalf(uint256 disputeId, bool left) external;
    /// @notice Challenger, instead of choosing a half (AwaitChoice) or pointing (AwaitPoint): make the
    ///         solver publish the posted midpoint state or op trace on-chain (its clock runs until it
    ///         has). Pulls a deposit of challengeBond, credited to the solver when the data is complete.
    function demandData(uint256 disputeId) external;
    /// @notice Solver: the next leaves of the demanded data, in order (tensor by tensor, leaf by
    ///         leaf); when the last leaf is in, the game returns to the challenger's move.
    function publishData(uint256 disputeId, DataPart calldata part) external;
    /// @notice Where publication stands: the next tensor and leaf expected.
    function dataCursor(uint256 disputeId) external view returns (uint32 tensor, uint32 leaf);
    /// @notice Solver: the op-trace root of step lo (hi = lo + 1).
    function postTrace(uint256 disputeId, bytes32 traceRoot) external;
    /// @notice Challenger: the disputed output element; or (op = NEXT_STATE) element
    ///         `element % 2^32` of next-state tensor `element / 2^32`, which the trace's last ops
    ///         must reproduce bit for bit; or (op = STATE_COPY) the same of the trace's copy of the
    ///         state at step lo.
    function point(uint256 disputeId, uint32 op, uint64 element) external;
    /// @notice Solver: open the pointed element of a compute op. Resolves the dispute.
    function openElement(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external;
    /// @notice Solver: open the pointed element of an AdamW op (kinds 26-29, §4.9) as openElement,
    ///         with row lo of the spec's schedule table and its proof. Resolves the dispute; reverts
    ///         on a row that does not prove against the spec's scheduleRoot.
    function openAdamElement(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output,
        LibOpAdam.ScheduleRow calldata row
    ) external;
    /// @notice Solver: open the pointed element of a data-load op. Resolves the dispute.
    function openLoad(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        OpDesc calldata op,
        bytes32[] calldata opProof,
        LibOpCheck.RecordOpening calldata record,
        LibOpCheck.TensorOpening calldata output
    ) external;
    /// @notice Solver: show that the state leaf holding the pointed element is the same 2048
    ///         bytes in the state (at hi for NEXT_STATE, at lo for STATE_COPY) and in the trace
    ///         (trace position opCount + t, the output of op opCount - stateCount + t, for
    ///         NEXT_STATE; position t for STATE_COPY). Resolves the dispute.
    function openStateLink(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        LibOpCheck.StateLinkOpening calldata opening
    ) external;
    /// @notice Solver: open the state leaf holding the pointed element of checkpoint 0 (lo = 0)
    ///         against its root; the solver wins iff the tensor has the shape the layers fix and the
    ///         element the init rule's bits (§3.2). Resolves the dispute.
    function openInitialState(
        uint256 disputeId,
        bytes calldata spec,
        GraphCommitment calldata graph,
        LibOpCheck.StateLeafOpening calldata opening
    ) external;
    /// @notice Anyone: the side to move ran out of time and loses.
    function timeout(uint256 disputeId) external;
    /// @notice Anyone: the job was settled by another dispute (or otherwise left Claimed/Submitted);
    ///         the bond goes back to the challenger.
    function abandon(uint256 disputeId) external;
    /// @notice Pull the caller's credited bonds.
    function withdraw() external returns (uint256 amount);
}
