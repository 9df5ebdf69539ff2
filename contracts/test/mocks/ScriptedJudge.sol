// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeGame} from "../../interfaces/IDisputeGame.sol";
import {IElementJudge} from "../../interfaces/IElementJudge.sol";
import {IReductionJudge} from "../../interfaces/IReductionJudge.sol";
import {IRelayoutJudge} from "../../interfaces/IRelayoutJudge.sol";
import {ISpecReader} from "../../interfaces/ISpecReader.sol";
import {LibChunk} from "../../libraries/LibChunk.sol";
import {LibInit} from "../../libraries/LibInit.sol";
import {LibOpAdam} from "../../libraries/LibOpAdam.sol";
import {LibOpCheck} from "../../libraries/LibOpCheck.sol";
import {OpDesc} from "../../types/OpDesc.sol";

/// @notice An element judge whose verdicts the test sets, so the game's own rules (callers, stages,
///         clocks, queue, money) can be played without real proofs. Each kind of check has its own
///         verdict; a data part is valid and ends its tensor unless told otherwise. Specs are read
///         for real (the reader it is given).
contract ScriptedJudge is IElementJudge, IReductionJudge, IRelayoutJudge {
    /// @notice How `checkDataPart` answers: `EndsTensor` returns firstLeaf + the part's leaf count
    ///         (the part completes its tensor), `Continues` one leaf more than that, `Invalid` 0.
    enum DataVerdict {
        EndsTensor,
        Continues,
        Invalid
    }

    bool public opVerdict = true;
    bool public loadVerdict = true;
    bool public linkVerdict = true;
    bool public initialVerdict = true;
    DataVerdict public dataVerdict;
    /// @inheritdoc IElementJudge
    ISpecReader public immutable specReader;

    constructor(ISpecReader specs) {
        specReader = specs;
    }

    function setVerdicts(bool op, bool load, bool link, bool initial) external {
        (opVerdict, loadVerdict, linkVerdict, initialVerdict) = (op, load, link, initial);
    }

    /// @notice Every opening verdict at once: true for the solver, false for the challenger.
    function setAll(bool valid) external {
        (opVerdict, loadVerdict, linkVerdict, initialVerdict) = (valid, valid, valid, valid);
    }

    function setDataVerdict(DataVerdict v) external {
        dataVerdict = v;
    }

    /// @inheritdoc IElementJudge
    function checkOpElement(
        LibOpCheck.StepRoots calldata,
        OpDesc calldata,
        uint256,
        bytes32[] calldata,
        uint256,
        LibOpCheck.TensorOpening[] calldata,
        LibOpCheck.TensorOpening calldata
    ) external view override(IElementJudge, IRelayoutJudge) returns (bool) {
        return opVerdict;
    }

    /// @inheritdoc IRelayoutJudge
    function checkAdamElement(
        LibOpCheck.StepRoots calldata,
        OpDesc calldata,
        uint256,
        bytes32[] calldata,
        uint256,
        LibOpCheck.TensorOpening[] calldata,
        LibOpCheck.TensorOpening calldata,
        LibOpAdam.Schedule calldata,
        LibOpAdam.ScheduleRow calldata
    ) external view returns (bool) {
        return opVerdict;
    }

    /// @inheritdoc IElementJudge
    function checkLoadElement(
        LibOpCheck.StepRoots calldata,
        OpDesc calldata,
        uint256,
        bytes32[] calldata,
        uint256,
        LibOpCheck.DataContext calldata,
        LibOpCheck.RecordOpening calldata,
        LibOpCheck.TensorOpening calldata
    ) external view returns (bool) {
        return loadVerdict;
    }

    /// @inheritdoc IElementJudge
    function checkStateLink(bytes32, uint256, uint256, bytes32, uint256, uint256, uint256, LibOpCheck.StateLinkOpening calldata)
        external
        view
        returns (bool)
    {
        return linkVerdict;
    }

    /// @inheritdoc IElementJudge
    function checkInitialElement(LibInit.InitTensor calldata, bytes32, bytes32, uint256, uint256, uint256, LibOpCheck.StateLeafOpening calldata)
        external
        view
        returns (bool)
    {
        return initialVerdict;
    }

    /// @inheritdoc IElementJudge
    function checkDataPart(bytes32, uint256, IDisputeGame.DataPart calldata part, uint256 leafBytes)
        external
        view
        returns (uint256)
    {
        if (dataVerdict == DataVerdict.Invalid) return 0;
        uint256 end = uint256(part.firstLeaf) + part.leaves.length / leafBytes;
        return dataVerdict == DataVerdict.EndsTensor ? end : end + 1;
    }

    /// @inheritdoc IElementJudge
    function reductions() external view returns (IReductionJudge) {
        return this;
    }

    /// @inheritdoc IElementJudge
    function relayoutJudge() external view returns (IRelayoutJudge) {
        return this;
    }

    /// @inheritdoc IReductionJudge
    /// @dev The op verdict decides; the node is that of a 4096-term reduction (16 chunks, height 1).
    function openReduction(
        LibOpCheck.StepRoots calldata,
        OpDesc calldata op,
        uint256,
        bytes32[] calldata,
        uint256,
        LibOpCheck.TensorOpening calldata,
        LibChunk.Claim[] calldata claims
    ) external view returns (bool valid, LibChunk.Node memory node) {
        node.opLeaf = sha256(abi.encode(op));
        node.claimsRoot = LibChunk.claimsRoot(claims);
        node.terms = 4096;
        node.height = 1;
        return (opVerdict, node);
    }

    /// @inheritdoc IReductionJudge
    function refineClaims(
        LibChunk.Node calldata node,
        LibChunk.Claim calldata parent,
        bytes32[] calldata parentProof,
        LibChunk.Claim[] calldata claims
    ) external view returns (LibChunk.Node memory) {
        return LibChunk.refine(node, parent, parentProof, claims);
    }

    /// @inheritdoc IReductionJudge
    function checkChunk(
        LibOpCheck.StepRoots calldata,
        OpDesc calldata,
        uint256,
        LibChunk.Node calldata,
        LibChunk.Claim calldata,
        bytes32[] calldata,
        LibOpCheck.TensorOpening[] calldata
    ) external view returns (bool) {
        return opVerdict;
    }
}
