// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibCheckpoints
/// @notice A job's checkpoint commitments as a hash chain (docs/PROTOCOL.md §6.2): the market keeps
///         one head per job instead of one slot per checkpoint, so a commit rewrites a slot (5,000
///         gas) instead of filling a new one (22,100). The state roots themselves are in the
///         `CheckpointCommitted` logs; whoever needs two of them on chain (a dispute) brings them
///         with the chain's suffix, and `fold` checks them against the head.
library LibCheckpoints {
    /// @notice Head of a job's chain before checkpoint 0, written when the job is claimed. Non-zero
    ///         so that the first commit rewrites the slot instead of filling it.
    bytes32 internal constant EMPTY = keccak256("veritrain.checkpoints.v1");

    /// @notice The largest `checkpointCount` of a job. Bounds the suffix a dispute brings
    ///         (at most 1,025 roots, ~600,000 gas of calldata) and fits the commit counter in 16 bits.
    uint32 internal constant MAX_CHECKPOINTS = 1024;

    /// @notice The head after appending checkpoint `index` with `stateRoot` to a chain at `head`.
    function link(bytes32 head, uint32 index, bytes32 stateRoot) internal pure returns (bytes32) {
        return keccak256(abi.encode(head, index, stateRoot));
    }

    /// @notice The head reached from `prefix` by appending `roots` as checkpoints `first`, `first + 1`, ...
    ///         Equal to the stored head only if `prefix` and `roots` are the committed ones (keccak256
    ///         is collision resistant and every link binds its index).
    function fold(bytes32 prefix, uint32 first, bytes32[] calldata roots) internal pure returns (bytes32 head) {
        head = prefix;
        uint256 n = roots.length;
        for (uint256 i = 0; i < n; ++i) {
            // SAFETY: callers bound first + n by MAX_CHECKPOINTS + 1.
            unchecked {
                head = link(head, first + uint32(i), roots[i]);
            }
        }
    }
}
