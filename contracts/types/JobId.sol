// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Identifier of a job in the `JobMarket`.
/// @dev Layout: `uint64`, bits [0, 64) hold a counter assigned by `postJob`, starting at 1.
///      0 is never a valid id, so an unset id reads as "no job".
type JobId is uint64;
