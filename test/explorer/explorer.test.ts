/**
 * The explorer, as a user sees it: a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core) opens the page of a devnet run (`npm start`'s story, smaller) while it runs,
 * and again once it is told: the job list updating live, each job's loss curve with one point per
 * committed checkpoint, the dispute's timeline matching the chain's events move for move, and the
 * final verdict. Everything shown is checked against the chain, read here independently.
 * A screenshot of each page goes to bench-results/ (the README shows them).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createPublicClient, http, parseEventLogs } from 'viem';
import { disputeGameAbi, jobMarketAbi } from '../../sdk/abi/index.ts';
import { loadDeployment } from '../../sdk/chain/deployment.ts';
import { cidFromBytes } from '../../sdk/chain/market.ts';
import { Stage } from '../../sdk/dispute/stages.ts';
import { REPO_ROOT } from '../../scripts/devnet/anvil.ts';
import { runStory } from '../../scripts/devnet/story.ts';

/** Debian's chromium first (Playwright's own browser download does not work on these machines). */
const CHROMIUM = [process.env.VERITRAIN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (p): p is string => p !== undefined && p !== '' && existsSync(p),
);
const SHOTS = path.join(REPO_ROOT, 'bench-results');
const STEPS = 256;
const K = 32;

const dirs: string[] = [];
after(async () => {
  if (process.env.VERITRAIN_E2E_KEEP === undefined) for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const texts = (page: Page, selector: string): Promise<string[]> => page.locator(selector).allInnerTexts();

describe('veritrain-explorer', {
  skip: CHROMIUM === undefined ? 'no chromium found: install Debian chromium (apt-get install chromium) or set VERITRAIN_CHROMIUM' : false,
}, () => {
  it('shows the jobs live, a loss curve per job, the dispute move by move as the chain has it, and the verdict', async (t) => {
    assert.ok(CHROMIUM !== undefined);
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    const runDir = await mkdtemp(path.join(tmpdir(), 'veritrain-e2e-explorer-'));
    dirs.push(runDir);
    await mkdir(SHOTS, { recursive: true });
    const lines: string[] = [];
    let passed = false;
    t.after(() => {
      if (!passed) process.stderr.write(`the story:\n${lines.join('\n')}\n`);
    });

    // While the story runs: the page opens on the job list and follows the chain without a reload.
    let watching: Promise<{ seen: Set<string>; versions: number }> | undefined;
    const watchLive = async (url: string): Promise<{ seen: Set<string>; versions: number }> => {
      await page.goto(url);
      await page.locator('[data-testid=job-row]').nth(1).waitFor({ timeout: 120_000 });
      const seen = new Set<string>();
      const v0 = Number(await page.locator('body').getAttribute('data-version'));
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        for (const c of await texts(page, '[data-testid=job-row][data-job="1"] [data-testid=checkpoints]')) seen.add(c);
        await page.waitForTimeout(250);
      }
      return { seen, versions: Number(await page.locator('body').getAttribute('data-version')) - v0 };
    };

    let rpcUrl = '';
    const summary = await runStory({
      runDir,
      steps: STEPS,
      checkpointInterval: K,
      challengeWindow: 30,
      fraud: 'wrong-lr',
      fraudInterval: 1,
      timeoutMs: 240_000,
      print: (l) => {
        lines.push(l);
        rpcUrl = /chain \d+ at (http\S+)/.exec(l)?.[1] ?? rpcUrl;
      },
      onExplorer: (url) => {
        watching = watchLive(url);
      },
      beforeStop: async () => {
        assert.ok(watching !== undefined, `the story started the explorer:\n${lines.join('\n')}`);
        const live = await watching;
        assert.ok(live.versions > 0, 'the page updated itself as new blocks came');
        assert.ok(live.seen.size > 1, `job 1's checkpoint counter moved on the open page: ${[...live.seen].join(', ')}`);

        // The chain's own account of the run, read independently of the explorer.
        const pc = createPublicClient({ transport: http(rpcUrl) });
        const deployment = await loadDeployment(await pc.getChainId(), { dir: path.join(runDir, 'deployments') });
        const fromBlock = BigInt(deployment.deployedAt);
        const market = parseEventLogs({ abi: jobMarketAbi, logs: await pc.getLogs({ address: deployment.contracts.JobMarket.address, fromBlock }) });
        const game = parseEventLogs({ abi: disputeGameAbi, logs: await pc.getLogs({ address: deployment.contracts.DisputeGame.address, fromBlock }) });
        const status = async (jobId: bigint): Promise<number> =>
          (await pc.readContract({ address: deployment.contracts.JobMarket.address, abi: jobMarketAbi, functionName: 'getJob', args: [jobId] })).status;
        assert.equal(await status(1n), 4, 'job 1 is Finalized on chain');
        const url = new URL('/', page.url()).toString();

        // The job list.
        await page.goto(url);
        const rows = page.locator('[data-testid=job-row]');
        const settled = Date.now() + 30_000;
        while ((await texts(page, '[data-testid=job-row] [data-testid=status]')).join() !== 'Finalized,Slashed' && Date.now() < settled)
          await page.waitForTimeout(250);
        assert.deepEqual(await texts(page, '[data-testid=job-row] [data-testid=status]'), ['Finalized', 'Slashed']);
        assert.equal(await rows.count(), 2);
        const total = STEPS / K + 1;
        assert.deepEqual(await texts(page, '[data-testid=job-row] [data-testid=checkpoints]'), [`${total}/${total}`, `${total}/${total}`]);
        await page.screenshot({ path: path.join(SHOTS, 'explorer-jobs.png'), fullPage: true });

        // Each job's loss curve: one point per committed checkpoint, training and held-out validation.
        for (const jobId of [2, 1]) {
          const committed = market.filter((e) => e.eventName === 'CheckpointCommitted' && e.args.jobId === BigInt(jobId)).length;
          assert.equal(committed, total);
          await page.goto(`${url}#/job/${jobId}`);
          const chart = page.locator('[data-testid=loss-chart]');
          await page.waitForFunction((n) => document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points') === String(n), committed, {
            timeout: 90_000,
          });
          assert.equal(await chart.getAttribute('data-series'), '2', 'training and validation curves');
          assert.equal(await page.locator('[data-testid=loss-point]').count(), committed);
          assert.equal(await page.locator('[data-testid=checkpoint]').count(), committed, 'the checkpoint chain, every CID');
          const cids = await texts(page, '[data-testid=checkpoint] td:nth-child(4)');
          const chainCids = market.flatMap((e) => (e.eventName === 'CheckpointCommitted' && e.args.jobId === BigInt(jobId) ? [cidFromBytes(e.args.cid)] : []));
          assert.deepEqual(cids, chainCids, 'the CIDs the chain holds, in order');
          const losses = (await texts(page, '[data-testid=loss-point] td:nth-child(3)')).map(Number);
          const validation = (await texts(page, '[data-testid=loss-point] td:nth-child(4)')).map(Number);
          assert.ok(losses.every(Number.isFinite) && validation.every(Number.isFinite), `${losses.join(', ')} / ${validation.join(', ')}`);
          if (jobId === 1) {
            // The honest job learns: its loss falls from ln 10 at the start.
            assert.ok(Math.abs((losses[0] as number) - Math.log(10)) < 0.3, `initial loss ${losses[0]}`);
            assert.ok((losses.at(-1) as number) < (losses[0] as number) / 2, `training loss ${losses.join(', ')}`);
            assert.ok((validation.at(-1) as number) < (validation[0] as number) / 2, `validation loss ${validation.join(', ')}`);
          }
          assert.match(await page.locator('[data-testid=loss-note]').innerText(), /validation loss on the held-out split/);
          const detection = await texts(page, '[data-testid=detection]');
          assert.equal(detection.length, 1, "the verifier's published report");
          assert.equal(await page.locator('[data-testid=checked]').count(), STEPS / K, 'every interval checked (budget 1)');
          if (jobId === 1) await page.screenshot({ path: path.join(SHOTS, 'explorer-job.png'), fullPage: true });
        }

        // The dispute: every move, in the chain's order, with the ranges the chain narrowed to.
        const created = game.find((e) => e.eventName === 'DisputeCreated');
        assert.ok(created !== undefined, 'a dispute was opened');
        const id = created.args.disputeId;
        const KIND: Readonly<Record<string, string>> = {
          DisputeCreated: 'opened',
          DisputeActivated: 'activated',
          MidpointPosted: 'midpoint',
          HalfChosen: 'half',
          TracePosted: 'trace',
          ElementPointed: 'point',
          ElementOpened: 'opened-element',
          DataDemanded: 'demand',
          DataPublished: 'publish',
          DisputeResolved: 'resolved',
        };
        const moves = game.filter((e) => 'disputeId' in e.args && e.args.disputeId === id && KIND[e.eventName] !== undefined);
        await page.goto(`${url}#/dispute/${id}`);
        await page.locator('[data-testid=verdict]').waitFor();
        const shown = page.locator('[data-testid=move]');
        assert.deepEqual(
          await shown.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
          moves.map((e) => KIND[e.eventName]),
        );
        const ranges = await texts(page, '[data-testid=move] [data-testid=range]');
        const halves = moves.flatMap((e, i) => (e.eventName === 'HalfChosen' ? [{ i, range: `${e.args.lo}..${e.args.hi}` }] : []));
        assert.equal(halves.length, Math.log2(K), 'bisection: log2(k) halvings');
        for (const h of halves) assert.equal(ranges[h.i], h.range, 'the range shown after each halving is the chain’s');
        const trace = moves.find((e) => e.eventName === 'TracePosted');
        assert.ok(trace !== undefined);
        assert.ok(trace.args.traceRoot.startsWith((await page.locator('[data-testid=trace-root]').innerText()).replace('…', '')));
        assert.match(await page.locator('[data-testid=pointed]').innerText(), /^element \d+ of op \d+ \(\S+, [A-Z_]+\)$/);
        const verdict = await page.locator('[data-testid=verdict]').innerText();
        const resolved = moves.find((e) => e.eventName === 'DisputeResolved');
        assert.ok(resolved !== undefined);
        assert.equal(resolved.args.outcome, Stage.ChallengerWon, 'ChallengerWon on chain');
        assert.match(verdict, /^ChallengerWon/);
        assert.ok((await page.locator('[data-testid=payouts] tr').count()) > 1, 'the payouts of the resolution');
        await page.screenshot({ path: path.join(SHOTS, 'explorer-dispute.png'), fullPage: true });

        // Accounts: stakes, credits, gas.
        await page.goto(`${url}#/accounts`);
        const gas = (await texts(page, '[data-testid=account-row] [data-testid=gas]')).map((g) => Number(g.split(' ')[0]?.replace(/,/g, '')));
        assert.ok(gas.length >= 4 && gas.filter((g) => g > 0).length >= 4, `gas per account: ${gas.join(', ')}`);
        await page.screenshot({ path: path.join(SHOTS, 'explorer-accounts.png'), fullPage: true });
      },
    });
    assert.equal(summary.story, 'done');
    passed = true;
  });
});
