// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice One input of an op (docs/PROTOCOL.md §3.1): a state tensor (space 0, `index` in state
///         order) or the output of an earlier op (space 1, `index` = that op's position in the
///         graph), with the tensor's shape.
struct OpInput {
    uint8 space;
    uint32 index;
    uint32[] shape;
}

/// @notice One op of the canonical graph (§3.1): kind (§4.1 codes), output shape, inputs and
///         fp32 parameters (bit patterns). opLeaf = sha256(abi.encode(desc)).
struct OpDesc {
    uint8 kind;
    uint32[] shape;
    OpInput[] inputs;
    uint32[] params;
}

using {opLeaf} for OpDesc global;

/// @notice The descriptor's leaf in the graph's Merkle tree: sha256(abi.encode(desc)).
function opLeaf(OpDesc memory desc) pure returns (bytes32) {
    return sha256(abi.encode(desc));
}
