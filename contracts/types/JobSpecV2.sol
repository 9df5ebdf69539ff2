// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The version-2 job spec tuple (docs/PROTOCOL.md §2.6, §3.4): v1's with the model as an
///         input shape and layer words, and the optimizer as a code and words with the schedule
///         table's root. Field order is normative: specHash = sha256(abi.encode(spec)), the same
///         bytes sdk/spec/job-spec.ts encodes (JOB_SPEC_V2_ABI).
struct JobSpecV2 {
    uint16 version;
    uint32[] inputShape;
    uint32[] layers;
    uint8 loss;
    bytes32 initSeed;
    uint8 optimizer;
    uint32[] optimizerWords;
    bytes32 scheduleRoot;
    uint64 steps;
    uint32 checkpointInterval;
    uint32 batchSize;
    bytes32 datasetRoot;
    string datasetCid;
    uint64 recordCount;
    uint8 featureEncoding;
    uint8 labelEncoding;
    bytes32 dataSeed;
    uint8 dtype;
    bytes32 graphRoot;
}
