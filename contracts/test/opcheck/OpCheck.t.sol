// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibExactSum} from "../../libraries/LibExactSum.sol";
import {LibFp32} from "../../libraries/LibFp32.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {LibTranscendental} from "../../libraries/LibTranscendental.sol";

/// @notice Unit and fuzz tests of the element checker (docs/PROTOCOL.md §4) with hand-computed
///         expectations. fp32 constants are bit patterns; comments give the values and bounds.
/// @custom:invariant every finite input op result that is exactly representable is valid
/// @custom:invariant verdicts are invariant under swapping a MATMUL's operands and under
///                   negating every input and the output of a MATMUL or ROW_SUM
contract OpCheckTest {
    error AssertionFailed(string what);

    uint32 internal constant ONE = 0x3f800000;
    uint32 internal constant TWO = 0x40000000;
    uint32 internal constant THREE = 0x40400000;
    uint32 internal constant FOUR = 0x40800000;
    uint32 internal constant HALF = 0x3f000000;
    uint32 internal constant NEG_ONE = 0xbf800000;
    uint32 internal constant ZERO = 0;
    uint32 internal constant NEG_ZERO = 0x80000000;
    uint32 internal constant INF = 0x7f800000;
    uint32 internal constant NEG_INF = 0xff800000;
    uint32 internal constant NAN = 0x7fc00000;
    uint32 internal constant MAX = 0x7f7fffff;
    uint32 internal constant SIGMA = 0x00800000; // 2^-126
    uint32 internal constant MIN_SUB = 0x00000001; // 2^-149

    function _assert(bool c, string memory what) internal pure {
        if (!c) revert AssertionFailed(what);
    }

    function _u(uint32 x) internal pure returns (uint32[] memory v) {
        v = new uint32[](1);
        v[0] = x;
    }

    function _u2(uint32 x, uint32 y) internal pure returns (uint32[] memory v) {
        v = new uint32[](2);
        (v[0], v[1]) = (x, y);
    }

    function _u3(uint32 x, uint32 y, uint32 z) internal pure returns (uint32[] memory v) {
        v = new uint32[](3);
        (v[0], v[1], v[2]) = (x, y, z);
    }

    function _none() internal pure returns (uint32[] memory) {
        return new uint32[](0);
    }

    function _check(uint8 kind, uint32[] memory a, uint32[] memory b, uint32 y) internal pure returns (bool) {
        return LibOpCheck.checkElement(kind, _none(), a, b, y);
    }

    function _checkC(uint8 kind, uint32 c, uint32 a, uint32 b, uint32 y) internal pure returns (bool) {
        return LibOpCheck.checkElement(kind, _u(c), _u(a), _u(b), y);
    }

    // ------------------------------------------------------------------ LibFp32

    function test_decode_classes_succeeds() public pure {
        (bool neg, uint256 m, int256 q) = LibFp32.decode(ONE);
        _assert(!neg && m == 1 << 23 && q == -23, "1.0");
        (neg, m, q) = LibFp32.decode(0xbf000000);
        _assert(neg && m == 1 << 23 && q == -24, "-0.5");
        (neg, m, q) = LibFp32.decode(MIN_SUB);
        _assert(!neg && m == 1 && q == -149, "2^-149");
        (neg, m, q) = LibFp32.decode(MAX);
        _assert(m == (1 << 24) - 1 && q == 104, "max");
        (, m, q) = LibFp32.decodeNormalized(MIN_SUB);
        _assert(m == 1 << 23 && q == -172, "normalized 2^-149");
        _assert(LibFp32.classOf(ZERO) == LibFp32.CLASS_ZERO && LibFp32.classOf(NEG_ZERO) == LibFp32.CLASS_ZERO, "zero");
        _assert(LibFp32.classOf(MIN_SUB) == LibFp32.CLASS_SUBNORMAL, "subnormal");
        _assert(LibFp32.classOf(SIGMA) == LibFp32.CLASS_NORMAL, "normal");
        _assert(LibFp32.classOf(NEG_INF) == LibFp32.CLASS_INF, "inf");
        _assert(LibFp32.classOf(0xffc00001) == LibFp32.CLASS_NAN, "nan");
    }

    function test_swapLanes_littleEndianWords_succeeds() public pure {
        // Element j of the encoding sits in bytes 4j..4j+3, little-endian.
        uint256 le = 0x0000803f_00000040_00000000_000080bf_01000000_ffff7f7f_0000807f_0000c07f;
        uint256 be = 0x3f800000_40000000_00000000_bf800000_00000001_7f7fffff_7f800000_7fc00000;
        _assert(LibFp32.swapLanes(le) == be, "swap");
        _assert(LibFp32.swap32(0x0000803f) == ONE, "swap32");
    }

    function test_log2floor_succeeds() public pure {
        _assert(LibFp32.log2floor(1) == 0 && LibFp32.log2floor(2) == 1 && LibFp32.log2floor(3) == 1, "small");
        _assert(LibFp32.log2floor(1 << 200) == 200 && LibFp32.log2floor(type(uint256).max) == 255, "large");
    }

    // ------------------------------------------------------------------ MATMUL / ROW_SUM / ROW_MAX

    /// 1·3 + 2·4 = 11; B = γ_2·11 + 32σ·2·4 ≈ 1.311e-6; ulp(11) = 2^-20 ≈ 9.54e-7.
    function test_checkElement_matmulSmall_succeeds() public pure {
        uint32[] memory a = _u2(ONE, TWO);
        uint32[] memory b = _u2(THREE, FOUR);
        _assert(_check(3, a, b, 0x41300000), "11 valid");
        _assert(_check(3, a, b, 0x41300001), "11 + 1 ulp valid");
        _assert(_check(3, a, b, 0x412fffff), "11 - 1 ulp valid");
        _assert(!_check(3, a, b, 0x41300002), "11 + 2 ulp invalid");
        _assert(!_check(3, a, b, NAN), "NaN invalid");
        _assert(!_check(3, a, b, INF), "Inf invalid");
    }

    function test_checkElement_matmulSpecials_succeeds() public pure {
        // Rule 1: a NaN or infinite input makes anything valid.
        _assert(_check(3, _u2(ONE, NAN), _u2(ONE, ONE), 0x12345678), "NaN input");
        _assert(_check(3, _u2(ONE, ONE), _u2(NEG_INF, ONE), NAN), "Inf input");
        // Rule 4: 2^127·2 + 2^127·2 = 2^129 >= Ω: +Inf valid, -Inf and the largest finite invalid.
        uint32[] memory big = _u2(0x7f000000, 0x7f000000);
        _assert(_check(3, big, _u2(TWO, TWO), INF), "overflow to +Inf");
        _assert(!_check(3, big, _u2(TWO, TWO), NEG_INF), "wrong sign");
        _assert(!_check(3, big, _u2(TWO, TWO), MAX), "max finite");
        // Cancellation: 2^100·2^100 - 2^100·2^100 + 1·1 = 1 with B ≈ γ_3·2^201 ≈ 2^179: anything passes.
        uint32[] memory c = _u3(0x71800000, 0x71800000, ONE);
        uint32[] memory d = _u3(0x71800000, 0xf1800000, ONE);
        _assert(_check(3, c, d, ONE), "cancel exact");
        _assert(_check(3, c, d, 0x60000000), "2^65 within gamma_3*2^201");
        _assert(_check(3, c, d, INF), "|x| + B ~ 2^178.6 >= Omega: +Inf valid");
        // x = 1 lies below the scale 2^(201 - 190): its sign is inside the slack (X = 0), and the
        // rule is favourable to y, so -Inf passes too (§4.3).
        _assert(_check(3, c, d, NEG_INF), "sign of x within the slack");
    }

    function test_checkElement_matmulSubnormals_succeeds() public pure {
        // 2^-149 · 2^-149 = 2^-298: B = γ_1·2^-298 + 16σ; y = 0 and y = 16σ valid, 16σ + ulp invalid.
        uint32[] memory a = _u(MIN_SUB);
        _assert(_check(3, a, a, ZERO), "flushed");
        _assert(_check(3, a, a, 0x02800000), "16 sigma");
        _assert(!_check(3, a, a, 0x02800001), "16 sigma + ulp");
    }

    /// 1 + 2^-30 - 1 = 2^-30; B = γ_3(2 + 2^-30) + 3σ ≈ 3.58e-7.
    function test_checkElement_rowSumCancellation_succeeds() public pure {
        uint32[] memory a = _u3(ONE, 0x30800000, NEG_ONE);
        _assert(_check(14, a, _none(), 0x30800000), "exact");
        _assert(_check(14, a, _none(), ZERO), "order with cancellation");
        _assert(_check(14, a, _none(), 0x34b00000), "3.28e-7 within B");
        _assert(!_check(14, a, _none(), 0x35000000), "4.77e-7 outside B");
    }

    function test_checkElement_rowMax_succeeds() public pure {
        _assert(_check(11, _u3(NEG_ONE, THREE, TWO), _none(), THREE), "max");
        _assert(!_check(11, _u3(NEG_ONE, THREE, TWO), _none(), 0x40400001), "B = 0");
        _assert(_check(11, _u2(NEG_ZERO, NEG_ONE), _none(), ZERO), "zeros equal");
        _assert(_check(11, _u2(NAN, NEG_ONE), _none(), ONE), "NaN input");
        _assert(!_check(11, _u2(MAX, ONE), _none(), INF), "no overflow at B = 0");
    }

    // ------------------------------------------------------------------ elementwise

    /// 1 + 2^-24: B = u(1 + 2^-24) + σ > 2^-24.
    function test_checkElement_biasAdd_succeeds() public pure {
        uint32 tiny = 0x33800000; // 2^-24
        _assert(_check(4, _u(ONE), _u(tiny), ONE), "round down");
        _assert(_check(4, _u(ONE), _u(tiny), 0x3f800001), "round up");
        _assert(!_check(4, _u(ONE), _u(tiny), 0x3f800002), "3*2^-24 away");
        _assert(_check(12, _u(ONE), _u(ONE), NEG_ZERO), "sub_row: 1 - 1 = -0");
        _assert(_check(12, _u(ONE), _u(ONE), SIGMA), "sub_row: sigma slack");
        _assert(!_check(12, _u(ONE), _u(ONE), 0x01000000), "sub_row: 2sigma");
    }

    function test_checkElement_relu_succeeds() public pure {
        _assert(_check(5, _u(0xc0400000), _none(), ZERO), "relu(-3) = 0");
        _assert(_check(5, _u(0xc0400000), _none(), SIGMA), "sigma slack");
        _assert(!_check(5, _u(0xc0400000), _none(), 0x01000000), "2sigma");
        _assert(_check(5, _u(THREE), _none(), THREE), "relu(3) = 3");
        _assert(!_check(5, _u(THREE), _none(), 0x40400001), "B = sigma");
        // relu'(a = 5, b subnormal > 0): 0 and 5 both valid (flush), 10 not.
        _assert(_check(8, _u(0x40a00000), _u(MIN_SUB), ZERO), "flushed b");
        _assert(_check(8, _u(0x40a00000), _u(MIN_SUB), 0x40a00000), "kept b");
        _assert(_check(8, _u(0x40a00000), _u(MIN_SUB), 0x41200000), "10 = 2|a|: |y - a| <= |a| + sigma");
        _assert(!_check(8, _u(0x40a00000), _u(MIN_SUB), 0x41300000), "11");
        _assert(!_check(8, _u(0x40a00000), _u(NEG_ONE), 0x40a00000), "b < 0 gives 0");
    }

    function test_checkElement_divRow_succeeds() public pure {
        _assert(_check(15, _u(ONE), _u(THREE), 0x3eaaaaab), "1/3");
        _assert(_check(15, _u(ONE), _u(THREE), 0x3eaaaaaa), "1/3 - 1 ulp (gamma_2)");
        _assert(!_check(15, _u(ONE), _u(THREE), 0x3eaaaaad), "1/3 + 2 ulp");
        _assert(_check(15, _u(ONE), _u(ZERO), INF), "x undefined: Inf");
        _assert(_check(15, _u(ZERO), _u(NEG_ZERO), NAN), "x undefined: NaN");
        _assert(!_check(15, _u(ONE), _u(ZERO), ONE), "x undefined: finite");
        _assert(_check(15, _u(MAX), _u(0x3f000000), INF), "MAX / 0.5 overflows");
        _assert(!_check(15, _u(MAX), _u(0xbf000000), INF), "sign");
    }

    function test_checkElement_sgdAndScaledDiff_succeeds() public pure {
        // velocity: 0.5·2 + 1 = 2; weight: 1 - 0.5·2 = 0 (B = γ_2·2 + 2σ); scaled diff: (3 - 1)·0.5 = 1.
        _assert(_checkC(18, HALF, TWO, ONE, TWO), "velocity");
        _assert(!_checkC(18, HALF, TWO, ONE, 0x40000002), "velocity + 2 ulp");
        _assert(_checkC(19, HALF, ONE, TWO, ZERO), "weight");
        _assert(_checkC(19, HALF, ONE, TWO, 0x34800000), "2^-22 within gamma_2*2");
        _assert(!_checkC(19, HALF, ONE, TWO, 0x35000000), "2^-21 outside");
        _assert(_checkC(16, HALF, THREE, ONE, ONE), "scaled diff");
        _assert(_checkC(16, NAN, THREE, ONE, ONE), "NaN parameter");
    }

    function test_checkElement_activationGrads_succeeds() public pure {
        // tanh': 2·(1 - 0.5²) = 1.5; sigmoid': 2·0.5·0.5 = 0.5.
        _assert(_check(9, _u(TWO), _u(HALF), 0x3fc00000), "tanh'");
        _assert(_check(9, _u(TWO), _u(HALF), 0x3fc00004), "tanh' + 4 ulp: 2^-21 < 8/(2^24 - 4)");
        _assert(!_check(9, _u(TWO), _u(HALF), 0x3fc00005), "tanh' + 5 ulp");
        _assert(_check(10, _u(TWO), _u(HALF), HALF), "sigmoid'");
        _assert(_check(10, _u(TWO), _u(HALF), 0x3f000004), "sigmoid' + 4 ulp: 2^-22 < 4/(2^24 - 4)");
        _assert(!_check(10, _u(TWO), _u(HALF), 0x3f000005), "sigmoid' + 5 ulp");
    }

    function test_checkElement_transcendental_succeeds() public pure {
        // e^0 = 1, B = 2^-21 + σ (+ slack): 1 + 2^-21 valid, 1 + 5·2^-23 invalid.
        _assert(_check(13, _u(ZERO), _none(), ONE), "exp 0");
        _assert(_check(13, _u(ZERO), _none(), 0x3f800004), "exp + 4 ulp");
        _assert(!_check(13, _u(ZERO), _none(), 0x3f800005), "exp + 5 ulp");
        _assert(_check(13, _u(0x42c80000), _none(), INF), "e^100 overflows");
        _assert(!_check(13, _u(0x42c80000), _none(), MAX), "e^100 is not finite");
        _assert(_check(13, _u(0xc2c80000), _none(), ZERO), "e^-100 = 2^-144.3 < sigma");
        // e^1 = 2.7182817 (0x402df854): ±4 ulp (ulp 2^-22) valid, 5 ulp not.
        _assert(_check(13, _u(ONE), _none(), 0x402df854), "e");
        _assert(_check(13, _u(ONE), _none(), 0x402df858), "e + 4 ulp");
        _assert(!_check(13, _u(ONE), _none(), 0x402df85a), "e + 6 ulp");
        // tanh 0 = 0 with floor 2^-24; sigmoid 0 = 0.5, B = 2^-21 + 2^-22.
        _assert(_check(6, _u(ZERO), _none(), 0x33800000), "tanh floor");
        _assert(!_check(6, _u(ZERO), _none(), 0x34000000), "tanh 2^-23");
        _assert(_check(6, _u(0x41200000), _none(), ONE), "tanh 10 = 1");
        _assert(_check(7, _u(ZERO), _none(), 0x3f00000c), "sigmoid 0.5 + 12 ulp = 3*2^-22");
        _assert(!_check(7, _u(ZERO), _none(), 0x3f00000d), "sigmoid 0.5 + 13 ulp");
        _assert(_check(7, _u(0xc2c80000), _none(), ZERO), "sigmoid(-100) ~ 0");
    }

    function test_expEnclosure_isTight_succeeds() public pure {
        // e^1 at 2^-240 scale against a 64-bit reference: e · 2^62 = 0xADF85458A2BB4A9A(.AF…).
        (uint256 m, int256 q) = LibTranscendental.exp(ONE);
        uint256 e62 = q >= -62 ? m << uint256(q + 62) : m >> uint256(-62 - q);
        _assert(e62 == 0xadf85458a2bb4a9a, "e to 64 bits");
    }

    function test_checkElement_transposeAndLoads_succeeds() public pure {
        _assert(_check(17, _u(NEG_ZERO), _none(), ZERO), "transpose zeros");
        _assert(!_check(17, _u(ONE), _none(), 0x3f800001), "transpose exact");
        _assert(_check(17, _u(NAN), _none(), ONE), "transpose NaN input");
        // 128/255 = 0.50196…; B = γ_2·x ≈ 6.0e-8; ulp = 2^-24 ≈ 6.0e-8.
        _assert(LibOpCheck.checkLoadX(1, 128, 0x3f008081), "u8 128");
        _assert(!LibOpCheck.checkLoadX(1, 128, 0x3f008083), "u8 128 + 2 ulp");
        _assert(LibOpCheck.checkLoadX(1, 0, NEG_ZERO), "u8 0");
        _assert(LibOpCheck.checkLoadX(1, 255, ONE), "u8 255");
        _assert(!LibOpCheck.checkLoadX(1, 255, INF), "u8 inf");
        _assert(LibOpCheck.checkLoadX(2, THREE, THREE) && !LibOpCheck.checkLoadX(2, THREE, 0x40400001), "f32");
        _assert(LibOpCheck.checkLoadY(1, 3, 3, ONE) && !LibOpCheck.checkLoadY(1, 3, 3, ZERO), "class hit");
        _assert(LibOpCheck.checkLoadY(1, 3, 2, NEG_ZERO) && !LibOpCheck.checkLoadY(1, 3, 2, ONE), "class miss");
        _assert(LibOpCheck.checkLoadY(2, HALF, 0, HALF), "f32 label");
    }

    // ------------------------------------------------------------------ reverts

    /// External wrapper so that reverts can be caught.
    function checkExternal(uint8 kind, uint32[] memory params, uint32[] memory a, uint32[] memory b, uint32 y)
        external
        pure
        returns (bool)
    {
        return LibOpCheck.checkElement(kind, params, a, b, y);
    }

    function _reverts(uint8 kind, uint32[] memory params, uint32[] memory a, uint32[] memory b, bytes4 selector)
        internal
        view
        returns (bool)
    {
        try this.checkExternal(kind, params, a, b, 0) returns (bool) {
            return false;
        } catch (bytes memory data) {
            return bytes4(data) == selector;
        }
    }

    function test_checkElement_malformed_reverts() public view {
        bytes4 arity = LibOpCheck.OpCheckArityInvalid.selector;
        _assert(_reverts(3, _none(), _u(ONE), _u2(ONE, ONE), arity), "matmul lengths");
        _assert(_reverts(3, _none(), _none(), _none(), arity), "matmul empty");
        _assert(_reverts(4, _none(), _u(ONE), _none(), arity), "binary without b");
        _assert(_reverts(18, _none(), _u(ONE), _u(ONE), arity), "sgd without c");
        _assert(_reverts(5, _none(), _u(ONE), _u(ONE), arity), "unary with b");
        _assert(_reverts(20, _none(), _u(ONE), _u(ONE), LibOpCheck.OpCheckKindUnknown.selector), "kind 20");
        _assert(_reverts(1, _none(), _u(ONE), _none(), LibOpCheck.OpCheckKindUnknown.selector), "load via checkElement");
    }

    // ------------------------------------------------------------------ fuzz

    /// Values with 12-bit significands (11 stored bits): every product of two is exact in fp32.
    function _small(uint256 seed) internal pure returns (uint32) {
        uint32 exp = uint32(100 + (seed % 50)); // 2^-27 .. 2^22
        uint32 frac = uint32((seed >> 8) & 0x7ff) << 12;
        return (uint32(seed >> 20) & 1) << 31 | exp << 23 | frac;
    }

    function testFuzz_checkElement_exactResultsValid_succeeds(uint256 s1, uint256 s2, uint256 s3) public pure {
        uint32 a = _small(s1);
        uint32 b = _small(s2);
        uint32 c = _small(s3);
        // a·b with 12-bit significands is exact in 24 bits: MATMUL K=1 and the product terms.
        (bool na, uint256 ma, int256 qa) = LibFp32.decode(a);
        (bool nb, uint256 mb, int256 qb) = LibFp32.decode(b);
        uint256 p = ma * mb; // < 2^48, with at least 22 trailing zero bits
        uint256 z = 0;
        while ((p >> z) & 1 == 0) ++z;
        p >>= z;
        int256 q = qa + qb + int256(z);
        int256 top = q + int256(LibFp32.log2floor(p));
        if (top >= -126 && top <= 127 && p < 1 << 24) {
            uint256 sh = 23 - LibFp32.log2floor(p);
            uint32 y = uint32((na != nb ? uint256(1) : 0) << 31 | uint256(q - int256(sh) + 150) << 23 | ((p << sh) & 0x7fffff));
            _assert(_check(3, _u(a), _u(b), y), "exact product");
            _assert(_check(3, _u(b), _u(a), y), "commuted");
            _assert(_check(3, _u(a ^ 0x80000000), _u(b), y ^ 0x80000000), "negated");
        }
        _assert(_check(17, _u(c), _none(), c), "transpose");
        _assert(_check(5, _u(c), _none(), c >> 31 == 1 ? 0 : c), "relu");
        _assert(_check(11, _u3(a, b, c), _none(), _max3(a, b, c)), "row max");
    }

    function _max3(uint32 a, uint32 b, uint32 c) internal pure returns (uint32 m) {
        m = a;
        if (LibFp32.orderKey(b) > LibFp32.orderKey(m)) m = b;
        if (LibFp32.orderKey(c) > LibFp32.orderKey(m)) m = c;
    }

    function testFuzz_checkElement_symmetries_succeeds(uint256 seed, uint32 y) public pure {
        uint256 k = 1 + seed % 12;
        uint32[] memory a = new uint32[](k);
        uint32[] memory b = new uint32[](k);
        uint32[] memory na = new uint32[](k);
        for (uint256 i = 0; i < k; ++i) {
            seed = uint256(keccak256(abi.encode(seed)));
            a[i] = uint32(seed);
            b[i] = uint32(seed >> 32);
            na[i] = a[i] ^ 0x80000000;
        }
        bool v = _check(3, a, b, y);
        _assert(v == _check(3, b, a, y), "matmul commutes");
        _assert(v == _check(3, na, b, y ^ 0x80000000), "matmul odd");
        _assert(_check(14, a, _none(), y) == _check(14, na, _none(), y ^ 0x80000000), "row sum odd");
    }

    function testFuzz_dotPass_matchesScalarDecode_succeeds(uint256 seed) public pure {
        // The 8-lane word decoding finds the same NaN/Inf, maxima and number of nonzero products
        // as scalar decoding.
        uint256 k = 1 + seed % 20;
        uint32[] memory a = new uint32[](k);
        uint32[] memory b = new uint32[](k);
        bool special;
        uint32 maxA;
        uint32 maxB;
        uint256 products;
        for (uint256 i = 0; i < k; ++i) {
            seed = uint256(keccak256(abi.encode(seed)));
            a[i] = uint32(seed) >> (seed >> 250); // some exponent fields of 0xff, some zeros
            b[i] = uint32(seed >> 40) >> ((seed >> 200) % 40);
            special = special || LibFp32.isSpecial(a[i]) || LibFp32.isSpecial(b[i]);
            if (a[i] & 0x7fffffff > maxA) maxA = a[i] & 0x7fffffff;
            if (b[i] & 0x7fffffff > maxB) maxB = b[i] & 0x7fffffff;
            if (!LibFp32.isZero(a[i]) && !LibFp32.isZero(b[i])) ++products;
        }
        LibExactSum.Pass memory p = LibExactSum.dotPass(LibExactSum.packLE(a), LibExactSum.packLE(b), k);
        _assert(p.special == special, "special");
        _assert(p.maxA == maxA && p.maxB == maxB, "maxima");
        _assert(special || (p.end - p.buf) / 32 == products, "products");
    }
}
