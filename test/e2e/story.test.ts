/**
 * The demo's story end to end (`npm start`, smaller): Anvil, the deployment, an embedded IPFS +
 * libp2p node, and a submitter, an honest solver, a cheating solver (wrong-lr) and a verifier, each
 * a separate process. The honest solver is paid, the cheater slashed down to one element of one
 * op, the verifier rewarded, and the submitter's downloaded model classifies held-out digits.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { devKey } from '../../scripts/devnet/keys.ts';
import { runStory } from '../../scripts/devnet/story.ts';

const dirs: string[] = [];
// VERITRAIN_E2E_KEEP=1 keeps the run directories (every process's log is there).
after(async () => {
  if (process.env.VERITRAIN_E2E_KEEP === undefined) for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('npm start: the story', () => {
  it('pays the honest solver, slashes the cheater after a bisection down to one element, rewards the verifier', async (t) => {
    let passed = false;
    const runDir = await mkdtemp(path.join(tmpdir(), 'veritrain-e2e-story-'));
    dirs.push(runDir);
    const lines: string[] = [];
    const summary = await runStory({
      runDir,
      steps: 256,
      checkpointInterval: 32,
      challengeWindow: 30,
      fraud: 'wrong-lr',
      fraudInterval: 1,
      timeoutMs: 200_000,
      // The same story with the explorer watching is test/explorer/explorer.test.ts.
      explorer: false,
      print: (l) => {
        lines.push(l);
      },
    });
    const story = lines.join('\n');
    t.after(() => {
      if (!passed) process.stderr.write(`the story:\n${story}\n`);
    });
    assert.equal(summary.story, 'done');
    assert.equal(summary.honest_paid, 8, 'the honest solver withdrew its whole payment');
    assert.equal(summary.cheater_slashed, 10, 'the cheater lost its job stake');
    assert.equal(summary.verifier_rewarded, 5, "the verifier's share: challengerBps 50% of the stake");
    assert.ok(summary.accuracy >= 0.85, `held-out accuracy ${summary.accuracy}`);
    assert.ok(summary.gas_total > 0 && summary.transactions > 20);
    assert.ok(summary.verify_cost_ratio >= 1, 'budget 1: every interval of both jobs re-executed');
    // What a user watching would notice, in order: the screen flags B's interval, the exact check
    // finds the faked step, bisection narrows it (log2(32) = 5 rounds), one element is judged on chain.
    const at = (re: RegExp): number => {
      const i = lines.findIndex((l) => re.test(l));
      assert.ok(i >= 0, `the story tells ${re}:\n${story}`);
      return i;
    };
    const flagged = at(/verifier .*interval 1 re-executed: .*FLAGGED/);
    const exact = at(/INVALID transition at step 48/);
    const opened = at(/dispute 1 OPENED by verifier against job 2, interval 1/);
    assert.equal(lines.filter((l) => /the challenger says the fault is in the (left|right) half/.test(l)).length, 5);
    const pointed = at(/the challenger points at element \d+ of op \d+ \(\S+, [A-Z_]+\)/);
    const judged = at(/the chain recomputes it exactly: INVALID/);
    const slash = at(/job 2 SLASHED: solver-B \(cheater\)/);
    const paid = at(/job 1 FINALIZED: solver-A \(honest\)/);
    assert.ok(flagged < exact && exact < opened && opened < pointed && pointed < judged && judged < slash && slash < paid);
    for (let i = 0; i <= 4; i++) assert.ok(!story.includes(devKey(i).slice(2)), `development key #${i} is never printed`);
    // Every role logged to its own file in the run directory, and everything was stopped.
    const files = await readdir(runDir);
    for (const role of ['submitter', 'solver-A', 'solver-B', 'verifier']) assert.ok(files.includes(`${role}.log`), `${role}.log in ${files.join(', ')}`);
    passed = true;
  });
});
