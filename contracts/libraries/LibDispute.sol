// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {Duration, Timestamp} from "../types/Time.sol";

/// @title LibDispute
/// @notice The state machine of one dispute (docs/PROTOCOL.md §5): stages, bisection positions
///         and chess clocks. Pure bookkeeping on the storage struct; DisputeGame checks callers,
///         moves tokens and talks to the market.
library LibDispute {
    /// @notice True when it is the solver's move in `stage`.
    function solverToMove(IDisputeGame.Stage stage) internal pure returns (bool) {
        return stage == IDisputeGame.Stage.AwaitMidpoint || stage == IDisputeGame.Stage.AwaitTrace
            || stage == IDisputeGame.Stage.AwaitOpening || stage == IDisputeGame.Stage.AwaitStateData
            || stage == IDisputeGame.Stage.AwaitTraceData || stage == IDisputeGame.Stage.AwaitClaims
            || stage == IDisputeGame.Stage.AwaitChunk;
    }

    /// @notice True while the dispute waits for a move.
    function live(IDisputeGame.Stage stage) internal pure returns (bool) {
        return stage != IDisputeGame.Stage.None && uint8(stage) < uint8(IDisputeGame.Stage.SolverWon);
    }

    /// @notice Seconds the mover has used since the last move, and what its clock has left.
    function clock(IDisputeGame.Dispute storage d, Timestamp now_) internal view returns (Duration left, Duration elapsed) {
        elapsed = now_.since(d.lastMoveAt);
        left = solverToMove(d.stage) ? d.solverClock : d.challengerClock;
    }

    /// @notice Charge the mover's clock for the time since the last move; reverts when it ran out
    ///         (a clock at zero has run out, so `mover` reporting 0 and `timeout` agree).
    function charge(IDisputeGame.Dispute storage d, uint256 disputeId, Timestamp now_) internal {
        (Duration left, Duration elapsed) = clock(d, now_);
        if (elapsed >= left) revert IDisputeGame.DisputeClockExpired(disputeId, left, elapsed);
        Duration rest;
        // SAFETY: elapsed < left was checked just above.
        unchecked {
            rest = Duration.wrap(Duration.unwrap(left) - Duration.unwrap(elapsed));
        }
        if (solverToMove(d.stage)) d.solverClock = rest;
        else d.challengerClock = rest;
        d.lastMoveAt = now_;
    }

    /// @notice The stage that follows once the range is [lo, hi]: one step left means the trace.
    function afterRange(IDisputeGame.Dispute storage d) internal view returns (IDisputeGame.Stage) {
        return d.hi - d.lo == 1 ? IDisputeGame.Stage.AwaitTrace : IDisputeGame.Stage.AwaitMidpoint;
    }

    /// @notice The midpoint step of the current range.
    function midpoint(IDisputeGame.Dispute storage d) internal view returns (uint64) {
        return d.lo + (d.hi - d.lo) / 2;
    }

    /// @notice Keep the left half [lo, mid] or the right half [mid, hi].
    function choose(IDisputeGame.Dispute storage d, bool left) internal {
        uint64 mid = midpoint(d);
        if (left) {
            d.hi = mid;
            d.hiRoot = d.midRoot;
        } else {
            d.lo = mid;
            d.loRoot = d.midRoot;
        }
        d.midRoot = bytes32(0);
        d.stage = afterRange(d);
    }
}
