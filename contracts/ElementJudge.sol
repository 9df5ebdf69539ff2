// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IElementJudge} from "./interfaces/IElementJudge.sol";
import {IRelayoutJudge} from "./interfaces/IRelayoutJudge.sol";
import {ISpecReader} from "./interfaces/ISpecReader.sol";
import {LibInit} from "./libraries/LibInit.sol";
import {LibOpCheck} from "./libraries/LibOpCheck.sol";
import {LibOpRelayout} from "./libraries/LibOpRelayout.sol";
import {OpDesc} from "./types/OpDesc.sol";
import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IReductionJudge} from "./interfaces/IReductionJudge.sol";

/// @title ElementJudge
/// @notice The deployable face of LibOpCheck: the dispute game calls it for the last move. The
///         spec-v2 kinds (20..25) are judged by a RelayoutJudge and long reductions by a
///         ReductionJudge, deployed before it and fixed here (one contract with all three would
///         exceed the code size limit, and creating both here its initcode limit); their reverts
///         bubble up unchanged. It also names the SpecReader the dispute game reads specs with.
contract ElementJudge is IElementJudge {
    IReductionJudge private immutable _reductions;

    /// @inheritdoc IElementJudge
    IRelayoutJudge public immutable relayoutJudge;

    /// @inheritdoc IElementJudge
    ISpecReader public immutable specReader;

    constructor(IReductionJudge reductions_, IRelayoutJudge relayouts, ISpecReader specs) {
        if (address(reductions_).code.length == 0) revert ElementJudgeNotAContract(address(reductions_));
        if (address(relayouts).code.length == 0) revert ElementJudgeNotAContract(address(relayouts));
        if (address(specs).code.length == 0) revert ElementJudgeNotAContract(address(specs));
        _reductions = reductions_;
        relayoutJudge = relayouts;
        specReader = specs;
    }

    /// @inheritdoc IElementJudge
    function checkOpElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.TensorOpening[] calldata inputs,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool) {
        if (LibOpRelayout.isRelayoutKind(op.kind)) return relayoutJudge.checkOpElement(roots, op, opIndex, opProof, element, inputs, output);
        return LibOpCheck.checkOpElement(roots, op, opIndex, opProof, element, inputs, output);
    }

    /// @inheritdoc IElementJudge
    function checkLoadElement(
        LibOpCheck.StepRoots calldata roots,
        OpDesc calldata op,
        uint256 opIndex,
        bytes32[] calldata opProof,
        uint256 element,
        LibOpCheck.DataContext calldata data,
        LibOpCheck.RecordOpening calldata record,
        LibOpCheck.TensorOpening calldata output
    ) external view returns (bool) {
        return LibOpCheck.checkLoadElement(roots, op, opIndex, opProof, element, data, record, output);
    }

    /// @inheritdoc IElementJudge
    function checkStateLink(
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        bytes32 traceRoot,
        uint256 traceCount,
        uint256 tracePosition,
        uint256 element,
        LibOpCheck.StateLinkOpening calldata opening
    ) external view returns (bool) {
        return LibOpCheck.checkStateLink(stateRoot, stateCount, tensor, traceRoot, traceCount, tracePosition, element, opening);
    }

    /// @inheritdoc IElementJudge
    function checkInitialElement(
        LibInit.InitTensor calldata init,
        bytes32 initSeed,
        bytes32 stateRoot,
        uint256 stateCount,
        uint256 tensor,
        uint256 element,
        LibOpCheck.StateLeafOpening calldata opening
    ) external view returns (bool) {
        return LibOpCheck.checkInitialElement(init, initSeed, stateRoot, stateCount, tensor, element, opening);
    }

    /// @inheritdoc IElementJudge
    function checkDataPart(bytes32 root, uint256 count, IDisputeGame.DataPart calldata part, uint256 leafBytes)
        external
        view
        returns (uint256)
    {
        return LibOpCheck.checkDataPart(root, count, part.tensor, part.firstLeaf, part.shape, part.leaves, part.leafProof, part.rootProof, leafBytes);
    }

    /// @inheritdoc IElementJudge
    function reductions() external view returns (IReductionJudge) {
        return _reductions;
    }
}
