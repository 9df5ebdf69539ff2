// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A point in time, in seconds since the Unix epoch (`block.timestamp`).
/// @dev Layout: `uint40`, bits [0, 40) hold the seconds. 40 bits last until the year 36812, and
///      five bytes let a job's solver, status, deadline and counters share one storage slot.
type Timestamp is uint40;

/// @notice A length of time in seconds.
/// @dev Layout: `uint32`, bits [0, 32) hold the seconds (up to ~136 years).
type Duration is uint32;

using {plus, since, isAfter as >, isAtOrBefore as <=} for Timestamp global;
using {minus as -, isAtLeast as >=} for Duration global;

/// @notice `t + d`; reverts (checked arithmetic) if the sum leaves the 40-bit range.
function plus(Timestamp t, Duration d) pure returns (Timestamp) {
    return Timestamp.wrap(Timestamp.unwrap(t) + uint40(Duration.unwrap(d)));
}

/// @notice The time from `earlier` to `t`, saturating at the longest `Duration` (~136 years), so a
///         comparison with any `Duration` stays exact; reverts (checked arithmetic) if `earlier` is after `t`.
function since(Timestamp t, Timestamp earlier) pure returns (Duration) {
    uint256 d = Timestamp.unwrap(t) - Timestamp.unwrap(earlier);
    return Duration.wrap(d > type(uint32).max ? type(uint32).max : uint32(d));
}

/// @notice `a - b`; reverts (checked arithmetic) if `b` is longer than `a`.
function minus(Duration a, Duration b) pure returns (Duration) {
    return Duration.wrap(Duration.unwrap(a) - Duration.unwrap(b));
}

function isAtLeast(Duration a, Duration b) pure returns (bool) {
    return Duration.unwrap(a) >= Duration.unwrap(b);
}

function isAfter(Timestamp a, Timestamp b) pure returns (bool) {
    return Timestamp.unwrap(a) > Timestamp.unwrap(b);
}

function isAtOrBefore(Timestamp a, Timestamp b) pure returns (bool) {
    return Timestamp.unwrap(a) <= Timestamp.unwrap(b);
}

/// @notice Helpers to read the clock as a `Timestamp`.
library LibTime {
    /// @notice The current block's timestamp.
    function now_() internal view returns (Timestamp) {
        // Casting is safe until the year 36812.
        return Timestamp.wrap(uint40(block.timestamp));
    }
}
