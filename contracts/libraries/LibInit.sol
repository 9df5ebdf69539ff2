// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibFp32} from "./LibFp32.sol";

/// @title LibInit
/// @notice The initial state (checkpoint 0) of a job as a pure function of its spec
///         (docs/PROTOCOL.md §3.2), element by element, in integer arithmetic: momentum slots and
///         biases are +0; element e of Wt_l is fl32(s · L_l) with
///         r = the first 4 bytes (big-endian) of sha256(initSeed || l (u32) || e (u32)),
///         s = (2·(r >> 8) + 1 − 2^24) / 2^24 and L_l the largest fp32 with L_l²·(n_{l−1} + n_l) ≤ 6.
///         The same bits as `sdk/graph/init.ts`, so a checkpoint 0 that is not the spec's loses
///         the INITIAL_STATE point of the dispute game.
library LibInit {
    /// @notice One state tensor's initial value rule: its shape and, for a weight, the Glorot
    ///         rule's tag (the layer, from 1) and fan sum; tag 0 means all +0 (momentum and
    ///         moment slots, biases). Derived from the spec by SpecReader.
    struct InitTensor {
        uint32[] shape;
        uint32 tag;
        uint32 fanSum;
    }

    /// @notice State tensor `t` of an MLP with `layers` (§3.2 state order:
    ///         [vWt_1, vb_1, ..., vWt_L, vb_L, Wt_1, b_1, ..., Wt_L, b_L]). `exists` is false past the state.
    function mlpTensor(uint32[] memory layers, uint256 t) internal pure returns (bool exists, InitTensor memory tensor) {
        uint256 params = 2 * (layers.length - 1);
        if (layers.length < 2 || t >= 2 * params) return (false, tensor);
        uint256 p = t % params;
        uint256 layer = p / 2 + 1;
        if (p % 2 == 0) {
            tensor.shape = new uint32[](2);
            tensor.shape[0] = layers[layer];
            tensor.shape[1] = layers[layer - 1];
            if (t >= params) (tensor.tag, tensor.fanSum) = (uint32(layer), layers[layer] + layers[layer - 1]);
        } else {
            tensor.shape = new uint32[](1);
            tensor.shape[0] = layers[layer];
        }
        exists = true;
    }

    /// @notice The fp32 bits of element `e` of Wt_`layer`, whose limit is `limitBits`.
    function weightBits(bytes32 seed, uint256 layer, uint256 e, uint32 limitBits) internal pure returns (uint32) {
        uint32 r = uint32(bytes4(sha256(abi.encodePacked(seed, uint32(layer), uint32(e)))));
        // s = n / 2^24 with n odd, |n| < 2^24; the product n · mL · 2^(qL - 24) is exact, rounded once.
        int256 n = 2 * int256(uint256(r >> 8)) + 1 - int256(1 << 24);
        (, uint256 mL, int256 qL) = LibFp32.decode(limitBits);
        bool neg = n < 0;
        return roundToFp32(neg, uint256(neg ? -n : n) * mL, qL - 24);
    }

    /// @notice The largest fp32 value L with L² · fanSum ≤ 6 (sqrt(6 / fanSum) rounded down), as bits.
    ///         Binary search over the positive bit patterns, which are ordered like their values.
    function glorotLimit(uint256 fanSum) internal pure returns (uint32) {
        // fanSum >= 2 (every layer has at least one unit), so L <= sqrt(3) < 2.0 = 0x40000000.
        uint32 lo = 0;
        uint32 hi = 0x40000000;
        while (hi - lo > 1) {
            uint32 mid = lo + (hi - lo) / 2;
            if (_fits(mid, fanSum)) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    /// @notice The fp32 bits of the nearest value (ties to even) to (−1)^neg · p · 2^q, p > 0,
    ///         for a result in the normal range (reverts otherwise: the init values never leave it).
    function roundToFp32(bool neg, uint256 p, int256 q) internal pure returns (uint32) {
        uint256 bitLength = LibFp32.log2floor(p) + 1;
        uint256 mant = p;
        if (bitLength > 24) {
            uint256 shift = bitLength - 24;
            mant = p >> shift;
            uint256 rem = p & ((uint256(1) << shift) - 1);
            uint256 half = uint256(1) << (shift - 1);
            if (rem > half || (rem == half && mant & 1 == 1)) mant += 1;
            if (mant == 1 << 24) {
                mant >>= 1;
                shift += 1;
            }
            q += int256(shift);
        } else {
            mant <<= 24 - bitLength;
            q -= int256(24 - bitLength);
        }
        int256 biased = q + 150;
        if (biased < 1 || biased > 254) revert LibInitOutOfRange(q);
        return (neg ? LibFp32.SIGN_MASK : 0) | uint32(uint256(biased) << 23) | uint32(mant & LibFp32.FRAC_MASK);
    }

    /// @notice The product left the normal range (unreachable for the init rule's values).
    error LibInitOutOfRange(int256 exponent);

    /// @dev value(bits)² · fanSum ≤ 6, with value = m · 2^q, q < 0 on the searched range.
    function _fits(uint32 bits, uint256 fanSum) private pure returns (bool) {
        (, uint256 m, int256 q) = LibFp32.decode(bits);
        uint256 shift = uint256(-2 * q);
        // m² · fanSum < 2^80; at shift >= 128 the left side is below 2^-48 <= 6.
        if (shift >= 128) return true;
        return m * m * fanSum <= 6 << shift;
    }
}
