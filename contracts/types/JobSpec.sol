// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The job spec tuple (docs/PROTOCOL.md §2.6). Field order is normative:
///         specHash = sha256(abi.encode(spec)), the same bytes sdk/spec/job-spec.ts encodes.
struct JobSpec {
    uint16 version;
    uint32[] layers;
    uint8 activation;
    uint8 loss;
    bytes32 initSeed;
    uint8 optimizer;
    uint32 learningRate;
    uint32 momentum;
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

using {specHash} for JobSpec global;

/// @notice The spec's on-chain identity.
function specHash(JobSpec memory spec) pure returns (bytes32) {
    return sha256(abi.encode(spec));
}
