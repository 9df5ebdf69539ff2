// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibExactSum} from "./LibExactSum.sol";
import {LibFp32} from "./LibFp32.sol";
import {LibMerkle} from "./LibMerkle.sol";
import {LibOpCheck} from "./LibOpCheck.sol";
import {OpDesc} from "../types/OpDesc.sol";

/// @title LibChunk
/// @notice Judging one element of a long reduction (docs/PROTOCOL.md §4.5, §5 step 4b) for a
///         bounded cost: the K terms of the element's row are cut into chunks of CHUNK_TERMS, the
///         chunks into a FAN_OUT-ary claim tree. Each claim states, for its range of terms, exactly
///         what the direct check (LibOpCheck.checkDot / checkRowSum) computes over that range at
///         the element's scale 2^s: the truncated sum, the truncated sum of magnitudes, the number
///         of terms that lost bits, the largest term top, the largest |a| and |b|, and whether any
///         input is NaN or ±Inf. These fields combine exactly (sums, maxima, or), so the top claim
///         yields the direct verdict bit for bit; a chunk claim is checked for equality against its
///         opened terms. Generic over the reduction kinds (a row of K terms: MATMUL, ROW_SUM).
library LibChunk {
    /// @notice Terms per chunk (a leaf of the claim tree).
    uint256 internal constant CHUNK_TERMS = 256;
    /// @notice Children per claim-tree node (claims posted per move).
    uint256 internal constant FAN_OUT = 16;
    /// @notice The longest reduction (MAX_FAN_IN of the spec).
    uint256 internal constant MAX_TERMS = 1 << 20;
    /// @notice "No nonzero term" in Claim.top.
    int32 internal constant NO_TOP = type(int32).min;
    /// @notice Upper bound (exclusive) on a claim's absSum: honest sums stay below 2^211.
    uint256 internal constant ABS_SUM_LIMIT = 1 << 240;

    /// @notice One claim about terms [first, end) of the element's row (ABI-encoded, it is a leaf
    ///         of the claim tree: sha256(abi.encode(claim))). A special claim (some input NaN/Inf)
    ///         has every other field zero.
    struct Claim {
        int256 sum; // Σ big(term) at scale 2^s (LibExactSum.dotScale's X)
        uint256 absSum; // Σ|big(term)| (dotScale's Mb)
        uint32 inexact; // terms that lost bits at the scale
        int32 top; // max top(term) over the nonzero terms, NO_TOP if none
        uint32 maxA; // max |a_k| as abs bits
        uint32 maxB; // max |b_k| as abs bits (1.0 for ROW_SUM)
        bool special; // some input is NaN or ±Inf
    }

    /// @notice Where a reduction's claim game stands: the children of node (first, height) are
    ///         committed in claimsRoot; `choice` is the child the challenger picked.
    struct Node {
        bytes32 opLeaf; // the pointed op's descriptor leaf (proved against graphRoot once)
        bytes32 claimsRoot; // Merkle root (LibMerkle) of the node's children claims
        uint32 terms; // K
        uint32 first; // first chunk of the node
        uint8 height; // the node's height (its children are at height - 1; chunks at 0)
        uint32 choice; // the child picked
        int32 scale; // s of the element (§4.3), fixed by the top claim
    }

    /// @notice The kind is not a reduction kind.
    error ChunkKindInvalid(uint8 kind);
    /// @notice The reduction is too short for claims (<= CHUNK_TERMS) or too long (> MAX_TERMS).
    error ChunkTermsInvalid(uint256 terms);
    /// @notice `given` claims where the node has `expected` children.
    error ChunkClaimCountInvalid(uint256 given, uint256 expected);
    /// @notice Claim `index` of the list has a field out of range (§4.5).
    error ChunkClaimMalformed(uint256 index);
    /// @notice The claims posted do not combine to the claim they refine.
    error ChunkClaimsMismatch();
    /// @notice The claim given is not child `index` of the committed list.
    error ChunkClaimProofInvalid(uint256 index);
    /// @notice The pick is not a child of the node.
    error ChunkChoiceInvalid(uint256 index, uint256 count);

    // ------------------------------------------------------------------ tree shape

    /// @notice ceil(terms / CHUNK_TERMS).
    function chunkCount(uint256 terms) internal pure returns (uint256) {
        return (terms + CHUNK_TERMS - 1) / CHUNK_TERMS;
    }

    /// @notice The root's height: the least D >= 1 with FAN_OUT^D >= chunkCount.
    function rootHeight(uint256 terms) internal pure returns (uint8 d) {
        uint256 m = chunkCount(terms);
        d = 1;
        uint256 covered = FAN_OUT;
        while (covered < m) {
            covered *= FAN_OUT;
            ++d;
        }
    }

    /// @notice Chunks under one node of height h: FAN_OUT^h.
    function span(uint256 h) internal pure returns (uint256) {
        return FAN_OUT ** h;
    }

    /// @notice Children of node (first, height): its chunks [first, min(m, first + 16^h)) in groups of 16^(h-1).
    function childCount(uint256 terms, uint256 first, uint256 height) internal pure returns (uint256) {
        uint256 m = chunkCount(terms);
        uint256 end = first + span(height);
        if (end > m) end = m;
        uint256 s = span(height - 1);
        return (end - first + s - 1) / s;
    }

    /// @notice The first chunk of child `choice` of the node.
    function childFirst(Node memory n) internal pure returns (uint256) {
        return n.first + uint256(n.choice) * span(n.height - 1);
    }

    /// @notice Validate a pick of the challenger (reverts when it is not a child).
    function checkChoice(Node memory n, uint256 index) internal pure {
        uint256 count = childCount(n.terms, n.first, n.height);
        if (index >= count) revert ChunkChoiceInvalid(index, count);
    }

    // ------------------------------------------------------------------ claims

    /// @notice Claim leaf hash.
    function leaf(Claim calldata c) internal pure returns (bytes32) {
        return sha256(abi.encode(c));
    }

    /// @notice Merkle root over the claims' leaves; reverts when one is malformed.
    function claimsRoot(Claim[] calldata claims) internal pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](claims.length);
        for (uint256 i = 0; i < claims.length; ++i) {
            wellFormed(claims[i], i);
            leaves[i] = leaf(claims[i]);
        }
        // §2.2 over at most FAN_OUT leaves: pad to 2^depth with zero hashes (Z_l at level l).
        uint256 n = leaves.length;
        bytes32 zero;
        while (n > 1) {
            uint256 half = (n + 1) / 2;
            for (uint256 i = 0; i < half; ++i) {
                bytes32 right = 2 * i + 1 < n ? leaves[2 * i + 1] : zero;
                leaves[i] = sha256(abi.encodePacked(leaves[2 * i], right));
            }
            zero = sha256(abi.encodePacked(zero, zero));
            n = half;
        }
        return leaves[0];
    }

    /// @notice Reverts with ChunkClaimMalformed(index) unless every field is in range: a special
    ///         claim has every other field zero; otherwise absSum < 2^240, |sum| <= absSum, both maxima
    ///         finite, and no term means no sums.
    function wellFormed(Claim calldata c, uint256 index) internal pure {
        bool ok;
        if (c.special) {
            ok = c.sum == 0 && c.absSum == 0 && c.inexact == 0 && c.top == NO_TOP && c.maxA == 0 && c.maxB == 0;
        } else {
            uint256 absX = c.sum < 0 ? uint256(-c.sum) : uint256(c.sum);
            ok = c.absSum < ABS_SUM_LIMIT && absX <= c.absSum && c.maxA < 0x7f800000 && c.maxB < 0x7f800000
                && c.inexact <= MAX_TERMS && (c.top != NO_TOP || (c.absSum == 0 && c.inexact == 0));
        }
        if (!ok) revert ChunkClaimMalformed(index);
    }

    /// @notice The claim over the union of the children's ranges: sums added, maxima taken,
    ///         special or-ed (a special child contributes zeros). Reverts when the sums leave range.
    function combine(Claim[] calldata claims) internal pure returns (Claim memory p) {
        p.top = NO_TOP;
        for (uint256 i = 0; i < claims.length; ++i) {
            Claim calldata c = claims[i];
            p.sum += c.sum;
            p.absSum += c.absSum;
            p.inexact += c.inexact;
            if (c.top > p.top) p.top = c.top;
            if (c.maxA > p.maxA) p.maxA = c.maxA;
            if (c.maxB > p.maxB) p.maxB = c.maxB;
            p.special = p.special || c.special;
        }
        if (p.absSum >= ABS_SUM_LIMIT || p.inexact > MAX_TERMS) revert ChunkClaimsMismatch();
    }

    function _equal(Claim memory p, Claim calldata c) private pure returns (bool) {
        return p.sum == c.sum && p.absSum == c.absSum && p.inexact == c.inexact && p.top == c.top && p.maxA == c.maxA
            && p.maxB == c.maxB && p.special == c.special;
    }

    /// @notice Prove `claim` as child `n.choice` of the committed list (reverts otherwise).
    function proveChosen(Node memory n, Claim calldata claim, bytes32[] calldata proof) internal view {
        uint256 count = childCount(n.terms, n.first, n.height);
        if (LibMerkle.processProof(leaf(claim), n.choice, count, proof) != n.claimsRoot) revert ChunkClaimProofInvalid(n.choice);
    }

    /// @notice The solver refines the chosen child: `parent` (proved in the committed list) must
    ///         be the combination of `claims`, one per child of the chosen node. Returns the node
    ///         one level down with the new list's root (choice reset).
    function refine(Node memory n, Claim calldata parent, bytes32[] calldata parentProof, Claim[] calldata claims)
        internal
        view
        returns (Node memory next)
    {
        proveChosen(n, parent, parentProof);
        next = n;
        next.first = uint32(childFirst(n));
        next.height = n.height - 1;
        next.choice = 0;
        uint256 expected = childCount(n.terms, next.first, next.height);
        if (claims.length != expected) revert ChunkClaimCountInvalid(claims.length, expected);
        next.claimsRoot = claimsRoot(claims);
        if (!_equal(combine(claims), parent)) revert ChunkClaimsMismatch();
    }

    // ------------------------------------------------------------------ verdicts

    /// @notice The §4 verdict on y from the top claim (the combination of the root's children),
    ///         as LibOpCheck._sumVerdict decides it from the direct pass: MATMUL's floor
    ///         16Kσ·max(1, max|a|)·max(1, max|b|), ROW_SUM's Kσ, γ_K. Also returns the scale s.
    function topVerdict(uint8 kind, uint256 k, Claim memory c, uint32 y) internal pure returns (bool valid, int32 scale) {
        LibExactSum.Value memory floor;
        if (kind == LibOpCheck.MATMUL) {
            (uint256 mA, int256 qA) = _atLeastOne(c.maxA);
            (uint256 mB, int256 qB) = _atLeastOne(c.maxB);
            floor = LibExactSum.Value({q: LibOpCheck.SIGMA_Q + qA + qB, m: 16 * k * mA * mB, neg: false});
        } else {
            floor = LibExactSum.Value({q: LibOpCheck.SIGMA_Q, m: k, neg: false});
        }
        bool inf = LibFp32.isSpecial(y);
        LibExactSum.Value memory vy;
        if (!inf) (vy.neg, vy.m, vy.q) = LibFp32.decode(y);
        int256 e = LibExactSum.maxTop(floor, LibExactSum.maxTop(vy, c.top == NO_TOP ? LibExactSum.NO_EXPONENT : int256(c.top)));
        if (inf) e = LibExactSum.maxTop(LibExactSum.Value({q: LibExactSum.OMEGA_Q, m: LibExactSum.OMEGA_M, neg: false}), e);
        // The floor is positive, so e is a real top (at most 2^8 + 48 in magnitude).
        scale = int32(e - LibExactSum.WINDOW);
        if (c.special) return (true, scale); // §4.2 rule 1
        LibExactSum.Scaled memory sc;
        sc.s = scale;
        sc.x = c.sum;
        sc.m = c.absSum;
        sc.r = 2 * uint256(c.inexact);
        uint256 inexact;
        (sc.y, inexact) = LibExactSum.big(vy, sc.s);
        sc.r += inexact;
        (sc.f, inexact) = LibExactSum.truncate(floor.m, floor.q, sc.s);
        sc.r += inexact;
        uint256 den = LibOpCheck.U_INV - k;
        if (!inf) return (LibExactSum.decideScaled(sc, k, den), scale);
        if (LibExactSum.mayOverflowScaled(sc, k, den, y)) return (true, scale); // rule 3a
        if (LibFp32.isNaN(y)) return (false, scale); // rule 3
        return (LibExactSum.decideInfiniteScaled(sc, k, den, LibFp32.signBit(y)), scale);
    }

    /// @notice The true claim of `count` terms a_k·b_k (MATMUL) or a_k (ROW_SUM, pb = 0) stored at
    ///         memory pa / pb (LibExactSum.dotPass layout) at scale 2^s. `scaled` is false when a
    ///         term's top exceeds s + WINDOW (no honest scale allows that; the sums are then left 0).
    function chunkClaim(uint256 pa, uint256 pb, uint256 count, int256 s) internal pure returns (Claim memory c, bool scaled) {
        if (pb == 0) pb = LibExactSum.onesLE(count);
        LibExactSum.Pass memory p = LibExactSum.dotPass(pa, pb, count);
        c.top = NO_TOP;
        if (p.special) {
            c.special = true;
            return (c, true);
        }
        if (p.e != LibExactSum.NO_EXPONENT) c.top = int32(p.e); // |top| <= 2^9: the cast is exact
        (c.maxA, c.maxB) = (p.maxA, p.maxB);
        // dotScale's precondition: every term's top within WINDOW of the scale.
        if (c.top != NO_TOP && c.top > s + LibExactSum.WINDOW) return (c, false);
        uint256 inexact;
        (c.sum, c.absSum, inexact) = LibExactSum.dotScale(p, s);
        c.inexact = uint32(inexact); // at most count <= CHUNK_TERMS
        return (c, true);
    }

    /// @notice Whether `c` is exactly the true claim of the terms (chunkClaim).
    function chunkHolds(uint256 pa, uint256 pb, uint256 count, int256 s, Claim calldata c) internal pure returns (bool) {
        (Claim memory t, bool scaled) = chunkClaim(pa, pb, count, s);
        if (t.special || c.special) return t.special == c.special; // a posted special claim is canonical (wellFormed)
        if (t.top != c.top || t.maxA != c.maxA || t.maxB != c.maxB || !scaled) return false;
        return t.sum == c.sum && t.absSum == c.absSum && t.inexact == c.inexact;
    }

    /// @notice max(1, |v|) for abs bits of a finite value, as m · 2^q (LibOpCheck's rule).
    function _atLeastOne(uint32 absBits) private pure returns (uint256 m, int256 q) {
        if (absBits <= LibFp32.ONE) return (1, 0);
        (, m, q) = LibFp32.decode(absBits);
    }

    /// @notice Reverts unless `kind` reads a row of terms (MATMUL, ROW_SUM).
    function requireReduction(uint8 kind) internal pure {
        if (kind != LibOpCheck.MATMUL && kind != LibOpCheck.ROW_SUM) revert ChunkKindInvalid(kind);
    }

    /// @notice Reverts unless the reduction is long enough for claims and within MAX_TERMS.
    function requireTerms(uint256 k) internal pure {
        if (k <= CHUNK_TERMS || k > MAX_TERMS) revert ChunkTermsInvalid(k);
    }

    /// @notice The claims must be one per child of the root node.
    function requireRootClaims(uint256 k, uint256 given) internal pure {
        uint256 expected = childCount(k, 0, rootHeight(k));
        if (given != expected) revert ChunkClaimCountInvalid(given, expected);
    }

    /// @notice The terms chunk `chunk` covers: [chunk·C, min(K, (chunk + 1)·C)).
    function chunkRange(uint256 k, uint256 chunk) internal pure returns (uint256 first, uint256 count) {
        first = chunk * CHUNK_TERMS;
        uint256 end = first + CHUNK_TERMS;
        if (end > k) end = k;
        count = end - first;
    }

    /// @notice The pointed op is not the one the top claim was opened for.
    error ChunkOpInvalid(bytes32 given, bytes32 expected);

    // ------------------------------------------------------------------ proof-carrying entry points

    /// @notice Top move (§5 step 4b): prove the descriptor and output element y like
    ///         LibOpCheck.checkOpElement, take the claims over the root's children, and decide y
    ///         from their combination. Returns the verdict and the node to continue from.
    function openTop(
        LibOpCheck.StepRoots memory roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening calldata output,
        Claim[] calldata claims
    ) internal view returns (bool valid, Node memory node) {
        uint32 y = LibOpCheck._proveOutput(roots, op, opIndex, opProof, element, output);
        (, uint256 k) = _rows(op, element);
        requireTerms(k);
        requireRootClaims(k, claims.length);
        node.claimsRoot = claimsRoot(claims);
        (valid, node.scale) = topVerdict(op.kind, k, combine(claims), y);
        node.opLeaf = sha256(abi.encode(op));
        node.terms = uint32(k);
        node.height = rootHeight(k);
    }

    /// @notice Last move: open the chosen chunk's terms (ranges of the rows the element reads,
    ///         proved against the trace) and return whether its proved claim holds exactly.
    function openChunk(
        LibOpCheck.StepRoots memory roots,
        OpDesc calldata op,
        uint256 element,
        Node memory node,
        Claim calldata claim,
        bytes32[] calldata claimProof,
        LibOpCheck.TensorOpening[] calldata inputs
    ) internal view returns (bool) {
        bytes32 given = sha256(abi.encode(op));
        if (given != node.opLeaf) revert ChunkOpInvalid(given, node.opLeaf);
        proveChosen(node, claim, claimProof);
        (uint256 first, uint256 count) = chunkRange(node.terms, childFirst(node));
        (uint256[2] memory rows,) = _rows(op, element);
        if (inputs.length != op.inputs.length) revert LibOpCheck.OpCheckInputCountInvalid(inputs.length, op.inputs.length);
        uint256[2] memory ptr;
        for (uint256 i = 0; i < inputs.length; ++i) {
            LibOpCheck._proveInput(roots, op, inputs, i, rows[i] + first, count);
            ptr[i] = LibOpCheck._copyLE(inputs[i].leaves, rows[i] + first, count);
        }
        return chunkHolds(ptr[0], ptr[1], count, node.scale, claim);
    }

    /// @notice First element of each row the element reads (input 0, and input 1 for MATMUL) and K;
    ///         the kind, arity and shapes checked as checkOpElement checks them.
    function _rows(OpDesc calldata op, uint256 element) private pure returns (uint256[2] memory rows, uint256 k) {
        uint8 kind = op.kind;
        requireReduction(kind);
        uint256 arity = kind == LibOpCheck.MATMUL ? 2 : 1;
        if (op.inputs.length != arity) revert LibOpCheck.OpCheckInputCountInvalid(op.inputs.length, arity);
        if (op.params.length != 0) revert LibOpCheck.OpCheckArityInvalid(kind, arity, 0, op.params.length);
        (rows[0], k) = LibOpCheck._inputRange(kind, op.shape, op.inputs[0].shape, element, 0);
        if (arity == 2) {
            uint256 k1;
            (rows[1], k1) = LibOpCheck._inputRange(kind, op.shape, op.inputs[1].shape, element, 1);
            if (k1 != k) revert LibOpCheck.OpCheckShapeInvalid(kind, 1);
        }
    }
}
