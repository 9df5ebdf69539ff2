/** The stages of a dispute (IDisputeGame.Stage), shared by the game clients and the data-availability reader. */
export const Stage = {
  None: 0,
  AwaitMidpoint: 1,
  AwaitChoice: 2,
  AwaitTrace: 3,
  AwaitPoint: 4,
  AwaitOpening: 5,
  AwaitStateData: 6,
  AwaitTraceData: 7,
  AwaitClaimChoice: 8,
  AwaitClaims: 9,
  AwaitChunk: 10,
  SolverWon: 11,
  ChallengerWon: 12,
  Abandoned: 13,
} as const;
export type StageCode = (typeof Stage)[keyof typeof Stage];
export const STAGE_NAMES = Object.fromEntries(Object.entries(Stage).map(([k, v]) => [v, k])) as Record<StageCode, string>;

/** The stages in which the solver moves (IDisputeGame / LibDispute.solverToMove). */
export const SOLVER_STAGES: readonly StageCode[] = [
  Stage.AwaitMidpoint,
  Stage.AwaitTrace,
  Stage.AwaitOpening,
  Stage.AwaitStateData,
  Stage.AwaitTraceData,
  Stage.AwaitClaims,
  Stage.AwaitChunk,
];
