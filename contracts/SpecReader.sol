// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISpecReader} from "./interfaces/ISpecReader.sol";
import {LibInit} from "./libraries/LibInit.sol";
import {JobSpec} from "./types/JobSpec.sol";
import {JobSpecV2} from "./types/JobSpecV2.sol";

/// @title SpecReader
/// @notice See ISpecReader. The v2 layer walk is sdk/spec/model.ts inferShapes and the state
///         order of sdk/graph/build.ts: parameters Wt_l, b_l per dense or conv2d layer (tag l from
///         1), after the optimizer's slots (SGD: velocities; AdamW: first, then second moments).
contract SpecReader is ISpecReader {
    /// @dev OPTIMIZERS_V2 code of adamw (1-based).
    uint256 private constant ADAMW = 2;
    /// @dev Layer codes of the v2 words (§3.4).
    uint256 private constant DENSE = 1;
    uint256 private constant CONV2D = 2;
    uint256 private constant MAXPOOL2D = 3;
    uint256 private constant AVGPOOL2D = 4;
    uint256 private constant FLATTEN = 5;
    uint256 private constant LAST_ACTIVATION = 8;
    uint256 private constant NONE = type(uint256).max;

    /// @inheritdoc ISpecReader
    function read(bytes calldata spec) external pure returns (SpecView memory v) {
        if (_version(spec) == 1) {
            JobSpec memory s = abi.decode(spec, (JobSpec));
            v.version = 1;
            v.steps = s.steps;
            v.checkpointInterval = s.checkpointInterval;
            v.graphRoot = s.graphRoot;
            v.initSeed = s.initSeed;
            v.datasetRoot = s.datasetRoot;
            v.recordCount = s.recordCount;
            v.dataSeed = s.dataSeed;
            v.featureCount = s.layers[0];
            v.outputCount = s.layers[s.layers.length - 1];
            v.featureEncoding = s.featureEncoding;
            v.labelEncoding = s.labelEncoding;
        } else {
            JobSpecV2 memory s = abi.decode(spec, (JobSpecV2));
            (, uint256 width,) = _walk(s.inputShape, s.layers, NONE);
            uint256 features = 1;
            for (uint256 i = 0; i < s.inputShape.length; ++i) {
                features *= s.inputShape[i];
            }
            v.version = 2;
            v.steps = s.steps;
            v.checkpointInterval = s.checkpointInterval;
            v.graphRoot = s.graphRoot;
            v.initSeed = s.initSeed;
            v.scheduleRoot = s.optimizer == ADAMW ? s.scheduleRoot : bytes32(0);
            v.datasetRoot = s.datasetRoot;
            v.recordCount = s.recordCount;
            v.dataSeed = s.dataSeed;
            v.featureCount = _u32(features, 0);
            v.outputCount = _u32(width, 0);
            v.featureEncoding = s.featureEncoding;
            v.labelEncoding = s.labelEncoding;
        }
    }

    /// @inheritdoc ISpecReader
    function initTensor(bytes calldata spec, uint256 tensor) external pure returns (bool exists, LibInit.InitTensor memory init) {
        if (_version(spec) == 1) return LibInit.mlpTensor(abi.decode(spec, (JobSpec)).layers, tensor);
        JobSpecV2 memory s = abi.decode(spec, (JobSpecV2));
        (uint256 params,,) = _walk(s.inputShape, s.layers, NONE);
        uint256 slots = (s.optimizer == ADAMW ? 2 : 1) * params;
        if (params == 0 || tensor >= slots + params) return (false, init);
        bool slot = tensor < slots;
        (,, init) = _walk(s.inputShape, s.layers, slot ? tensor % params : tensor - slots);
        // Optimizer slots start at +0 whatever the parameter's rule.
        if (slot) (init.tag, init.fanSum) = (0, 0);
        exists = true;
    }

    /// @dev The version word of abi.encode(tuple): the tuple's offset (0x20), then its first field.
    function _version(bytes calldata spec) private pure returns (uint256 version) {
        if (spec.length < 64) revert SpecVersionUnsupported(0);
        version = uint256(bytes32(spec[32:64]));
        if (version != 1 && version != 2) revert SpecVersionUnsupported(version);
    }

    /// @dev Walks the layers from `input`: the parameter count, the output width, and parameter `want`'s rule.
    function _walk(uint32[] memory input, uint32[] memory words, uint256 want)
        private
        pure
        returns (uint256 params, uint256 width, LibInit.InitTensor memory found)
    {
        if (input.length != 1 && input.length != 3) revert SpecLayersInvalid(0);
        bool flat = input.length == 1;
        // A flat sample is c values; an image h x w x c.
        (uint256 h, uint256 w, uint256 c) = (1, 1, input[0]);
        if (!flat) (h, w, c) = (input[0], input[1], input[2]);
        uint256 i = 0;
        while (i < words.length) {
            uint256 code = words[i];
            uint256 size = code == DENSE || code == MAXPOOL2D || code == AVGPOOL2D ? 2 : code == CONV2D ? 6 : code <= LAST_ACTIVATION ? 1 : 0;
            if (code == 0 || size == 0 || i + size > words.length) revert SpecLayersInvalid(i);
            if (code == DENSE) {
                if (!flat) revert SpecLayersInvalid(i);
                uint256 units = words[i + 1];
                if (want == params) found = _weight(units, c, params / 2 + 1, units + c, i);
                else if (want == params + 1) found = _bias(units, i);
                params += 2;
                c = units;
            } else if (code == CONV2D) {
                if (flat) revert SpecLayersInvalid(i);
                uint256 filters = words[i + 1];
                uint256 kernel = uint256(words[i + 2]) * words[i + 3];
                if (want == params) found = _weight(filters, kernel * c, params / 2 + 1, kernel * (c + filters), i);
                else if (want == params + 1) found = _bias(filters, i);
                params += 2;
                bool same = words[i + 5] == 1;
                (h, w, c) = (_axis(h, words[i + 2], words[i + 4], same, i), _axis(w, words[i + 3], words[i + 4], same, i), filters);
            } else if (code == MAXPOOL2D || code == AVGPOOL2D) {
                if (flat) revert SpecLayersInvalid(i);
                uint256 k = words[i + 1];
                (h, w) = (_axis(h, k, k, false, i), _axis(w, k, k, false, i));
            } else if (code == FLATTEN) {
                if (flat) revert SpecLayersInvalid(i);
                (h, w, c, flat) = (1, 1, h * w * c, true);
            }
            i += size;
        }
        width = h * w * c;
    }

    /// @dev Output length of one axis (sdk/spec/model.ts convAxis).
    function _axis(uint256 n, uint256 k, uint256 stride, bool same, uint256 at) private pure returns (uint256) {
        if (stride == 0 || k == 0) revert SpecLayersInvalid(at);
        if (same) return (n + stride - 1) / stride;
        if (k > n) revert SpecLayersInvalid(at);
        return (n - k) / stride + 1;
    }

    function _weight(uint256 rows, uint256 cols, uint256 tag, uint256 fanSum, uint256 at) private pure returns (LibInit.InitTensor memory t) {
        t.shape = new uint32[](2);
        (t.shape[0], t.shape[1]) = (_u32(rows, at), _u32(cols, at));
        (t.tag, t.fanSum) = (_u32(tag, at), _u32(fanSum, at));
    }

    function _bias(uint256 n, uint256 at) private pure returns (LibInit.InitTensor memory t) {
        t.shape = new uint32[](1);
        t.shape[0] = _u32(n, at);
    }

    function _u32(uint256 x, uint256 at) private pure returns (uint32) {
        if (x > type(uint32).max) revert SpecLayersInvalid(at);
        return uint32(x);
    }
}
