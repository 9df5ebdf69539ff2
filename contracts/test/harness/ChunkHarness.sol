// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibChunk} from "../../libraries/LibChunk.sol";
import {LibExactSum} from "../../libraries/LibExactSum.sol";

/// @notice Exposes LibChunk's claim arithmetic for the TypeScript differential and property tests.
contract ChunkHarness {
    /// @notice The chain's true claim of the terms of rows `a` (and `b` for MATMUL; empty for ROW_SUM) at scale 2^s.
    function chunkClaim(uint32[] memory a, uint32[] memory b, int256 s) external pure returns (LibChunk.Claim memory c, bool scaled) {
        uint256 pb = b.length == 0 ? 0 : LibExactSum.packLE(b);
        return LibChunk.chunkClaim(LibExactSum.packLE(a), pb, a.length, s);
    }

    /// @notice LibChunk.chunkHolds: whether the posted claim `c` is the terms' claim.
    function chunkHolds(uint32[] memory a, uint32[] memory b, int256 s, LibChunk.Claim calldata c) external pure returns (bool) {
        uint256 pb = b.length == 0 ? 0 : LibExactSum.packLE(b);
        return LibChunk.chunkHolds(LibExactSum.packLE(a), pb, a.length, s, c);
    }

    /// @notice The verdict on y from the combination of `claims` (each well-formed) and the scale.
    function topVerdict(uint8 kind, uint256 k, LibChunk.Claim[] calldata claims, uint32 y) external pure returns (bool valid, int32 scale) {
        for (uint256 i = 0; i < claims.length; ++i) {
            LibChunk.wellFormed(claims[i], i);
        }
        return LibChunk.topVerdict(kind, k, LibChunk.combine(claims), y);
    }
}
