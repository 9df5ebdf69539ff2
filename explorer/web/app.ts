/// <reference lib="dom" />
/**
 * The explorer's page: jobs, a job's loss curve and checkpoint chain, disputes move by move, and
 * accounts, from the server's snapshot (/api/snapshot), re-read whenever the server says a new
 * block changed it (/api/stream). No wallet, no key: it only reads.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { AccountView, DisputeView, JobView, LossPoint, Snapshot } from '../snapshot.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

type Page = Snapshot & { readonly version: number };

const main = document.getElementById('main') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
const footer = document.getElementById('footer') as HTMLElement;
let snap: Page | undefined;
let chart: { chart: Chart; key: string } | undefined;

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A token amount (decimal string of base units) in whole tokens. */
function amount(v: string): string {
  const decimals = snap?.token.decimals ?? 18;
  const n = BigInt(v);
  const unit = 10n ** BigInt(decimals);
  const whole = n / unit;
  const frac = (n % unit).toString().padStart(decimals, '0').slice(0, 4).replace(/0+$/, '');
  const dust = whole === 0n && frac === '' && n > 0n;
  return `${dust ? '< 0.0001' : whole.toLocaleString('en-US')}${frac === '' ? '' : `.${frac}`} ${esc(snap?.token.symbol ?? '')}`;
}

const who = (address: string | null): string => {
  if (address === null) return '<span class="muted">—</span>';
  const label = snap?.accounts.find((a) => a.address === address)?.label;
  return `<a class="mono" href="#/accounts" title="${esc(address)}">${esc(label ?? `${address.slice(0, 8)}…${address.slice(-4)}`)}</a>`;
};

/** A unix time relative to the chain's head: "in 34 s", "12 s ago". */
function when(t: number): string {
  if (t === 0) return '<span class="muted">—</span>';
  const d = t - (snap?.head.timestamp ?? t);
  const abs = Math.abs(d);
  const text = abs < 120 ? `${abs} s` : abs < 7200 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return `<span title="${esc(new Date(t * 1000).toISOString())}">${d >= 0 ? `in ${text}` : `${text} ago`}</span>`;
}

const status = (s: string): string => `<span class="status ${esc(s)}" data-testid="status">${esc(s)}</span>`;
const card = (k: string, v: string, testid = ''): string =>
  `<div class="card"${testid === '' ? '' : ` data-testid="${testid}"`}><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`;

function jobsPage(s: Page): string {
  if (s.jobs.length === 0) return '<h1>Jobs</h1><p class="muted" data-testid="no-jobs">No job has been posted on this market yet.</p>';
  const rows = s.jobs
    .map((j) => {
      const pct = Math.round((100 * j.committed) / Math.max(1, j.total));
      const deadline =
        j.status === 'Open'
          ? `claim ${when(j.claimDeadline)}`
          : j.status === 'Claimed'
            ? `training ${when(j.trainingDeadline)}`
            : j.challengeDeadline > 0
              ? `challenge window ${j.challengeDeadline > s.head.timestamp ? 'closes' : 'closed'} ${when(j.challengeDeadline)}`
              : '';
      return `<tr data-testid="job-row" data-job="${esc(j.id)}">
        <td><a href="#/job/${esc(j.id)}">job ${esc(j.id)}</a></td>
        <td>${status(j.status)}</td>
        <td>${amount(j.payment)}</td>
        <td>${who(j.solver)}</td>
        <td><span data-testid="checkpoints">${j.committed}/${j.total}</span><div class="bar"><span style="width:${pct}%"></span></div></td>
        <td>${j.spec === null ? '<span class="muted">spec not fetched</span>' : `${esc(j.spec.model)}, ${j.spec.steps} steps`}</td>
        <td>${deadline}<div class="muted">window ${j.challengeWindow} s</div></td>
        <td>${j.disputes.map((d) => `<a href="#/dispute/${esc(d)}">dispute ${esc(d)}</a>`).join(' ')}</td>
      </tr>`;
    })
    .join('');
  return `<h1>Jobs</h1><table data-testid="jobs"><thead><tr><th>job</th><th>status</th><th>payment</th><th>solver</th><th>checkpoints</th><th>model</th><th>deadlines</th><th>disputes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function jobPage(s: Page, j: JobView): string {
  const checked = new Set(j.reports.flatMap((r) => r.checkedIntervals ?? []));
  const reports =
    j.reports.length === 0
      ? '<p class="muted" data-testid="no-reports">No verifier has published a report on this job.</p>'
      : `<table data-testid="reports"><thead><tr><th>report</th><th>intervals checked</th><th>detection estimate</th></tr></thead><tbody>${j.reports
          .map(
            (r) =>
              `<tr data-testid="report"><td class="mono">${esc(r.source.split('/').pop() ?? r.source)}</td><td>${r.checked} of ${r.intervals}${r.checkedIntervals === undefined ? '' : `: ${esc(r.checkedIntervals.join(', '))}`}</td><td data-testid="detection">${(100 * r.detection).toFixed(1)}% against a solver faking ${(100 * r.fakeFraction).toFixed(0)}% of intervals</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const chain = j.checkpoints
    .map((c) => {
      const interval = c.index - 1;
      const isChecked = c.index > 0 && checked.has(interval);
      return `<tr data-testid="checkpoint"><td>${c.index}</td><td>${j.spec === null ? '' : c.index * j.spec.checkpointInterval}</td><td class="mono" title="${esc(c.stateRoot)}">${esc(c.stateRoot.slice(0, 18))}…</td><td class="mono">${c.cid === null ? '<span class="muted">not a CID (withheld)</span>' : esc(c.cid)}</td><td>${c.index === 0 ? '' : isChecked ? `<span class="checked" data-testid="checked">interval ${interval} checked</span>` : `<span class="muted">interval ${interval}</span>`}</td><td>${c.time === null ? '' : when(c.time)}</td></tr>`;
    })
    .join('');
  const points = j.losses
    .map(
      (p) =>
        `<tr data-testid="loss-point"><td>${p.index}</td><td>${p.step}</td><td>${p.train.toFixed(4)}</td><td>${p.validation === undefined ? '—' : p.validation.toFixed(4)}</td></tr>`,
    )
    .join('');
  return `<h1>Job ${esc(j.id)} ${status(j.status)}</h1>
    <div class="grid">
      ${card('payment', amount(j.payment))}
      ${card('solver stake', amount(j.solverStake))}
      ${card('submitter', who(j.submitter))}
      ${card('solver', who(j.solver))}
      ${card('checkpoints committed', `${j.committed} of ${j.total}`, 'committed')}
      ${card('model', j.spec === null ? '—' : `${esc(j.spec.model)}, ${esc(j.spec.loss)}, ${esc(j.spec.optimizer)}`)}
      ${card('training', j.spec === null ? '—' : `${j.spec.steps} steps, batch ${j.spec.batchSize}, checkpoint every ${j.spec.checkpointInterval}`)}
      ${card('claim deadline', j.status === 'Open' ? when(j.claimDeadline) : j.solver === null ? '—' : 'met: claimed')}
      ${card('training deadline', j.status === 'Claimed' ? when(j.trainingDeadline) : j.challengeDeadline > 0 ? 'met: final checkpoint submitted' : '—')}
      ${card('challenge window', `${j.challengeWindow} s${j.challengeDeadline > 0 ? `, ends ${when(j.challengeDeadline)}` : ''}`)}
      ${card('disputes', j.disputes.length === 0 ? 'none' : j.disputes.map((d) => `<a href="#/dispute/${esc(d)}">dispute ${esc(d)}</a>`).join(' '))}
    </div>
    <h2>Loss per checkpoint</h2>
    <div class="chart"><canvas id="loss-chart" data-testid="loss-chart"></canvas></div>
    <p class="muted" data-testid="loss-note">${esc(j.lossNote)}</p>
    <table data-testid="loss-points"><thead><tr><th>checkpoint</th><th>step</th><th>training loss</th><th>validation loss (held out)</th></tr></thead><tbody>${points}</tbody></table>
    <h2>Verification</h2>${reports}
    <h2>Checkpoint chain</h2>
    <table data-testid="checkpoint-chain"><thead><tr><th>#</th><th>step</th><th>state root</th><th>CID</th><th>verified interval</th><th>committed</th></tr></thead><tbody>${chain}</tbody></table>`;
}

function drawLossChart(j: JobView): void {
  const canvas = document.getElementById('loss-chart') as HTMLCanvasElement | null;
  if (canvas === null) return;
  const points: readonly LossPoint[] = j.losses;
  const hasValidation = points.some((p) => p.validation !== undefined);
  const datasets = [
    { label: 'training loss (explorer-computed)', data: points.map((p) => p.train), borderColor: '#2f5bd3', backgroundColor: '#2f5bd3', tension: 0.2 },
    ...(hasValidation
      ? [
          {
            label: `validation loss, held out: ${snap?.validation?.name ?? ''}`,
            data: points.map((p) => p.validation ?? null),
            borderColor: '#b42318',
            backgroundColor: '#b42318',
            borderDash: [6, 4],
            tension: 0.2,
          },
        ]
      : []),
  ];
  const labels = points.map((p) => `${p.step}`);
  canvas.dataset.points = String(points.length);
  canvas.dataset.series = String(datasets.length);
  if (chart?.key === `job-${j.id}` && chart.chart.canvas === canvas) {
    chart.chart.data.labels = labels;
    chart.chart.data.datasets = datasets;
    chart.chart.update('none');
    return;
  }
  chart?.chart.destroy();
  chart = {
    key: `job-${j.id}`,
    chart: new Chart(canvas, {
      type: 'line',
      data: { labels, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'training step (checkpoint)' } }, y: { title: { display: true, text: 'loss' } } },
        plugins: { legend: { position: 'bottom' } },
      },
    }),
  };
}

function disputesPage(s: Page): string {
  if (s.disputes.length === 0) return '<h1>Disputes</h1><p class="muted" data-testid="no-disputes">No dispute has been opened.</p>';
  return `<h1>Disputes</h1><table data-testid="disputes"><thead><tr><th>dispute</th><th>job</th><th>interval</th><th>stage</th><th>challenger</th><th>solver</th><th>bond</th><th>moves</th></tr></thead><tbody>${s.disputes
    .map(
      (d) =>
        `<tr data-testid="dispute-row"><td><a href="#/dispute/${esc(d.id)}">dispute ${esc(d.id)}</a></td><td><a href="#/job/${esc(d.jobId)}">job ${esc(d.jobId)}</a></td><td>${d.interval}</td><td>${status(d.stage)}</td><td>${who(d.challenger)}</td><td>${who(d.solver)}</td><td>${amount(d.bond)}</td><td>${d.moves.length}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function disputePage(s: Page, d: DisputeView): string {
  const lo0 = Number(d.startLo);
  const span = Math.max(1, Number(d.startHi) - lo0);
  const moves = d.moves
    .map((m) => {
      const left = m.lo === null ? 0 : ((Number(m.lo) - lo0) / span) * 100;
      const width = m.lo === null || m.hi === null ? 100 : Math.max(1.5, ((Number(m.hi) - Number(m.lo)) / span) * 100);
      return `<li class="by-${m.by}" data-testid="move" data-kind="${esc(m.kind)}"><strong>${esc(m.by)}</strong> · ${esc(m.text)}
        <div class="muted">block ${esc(m.block)}${m.time === null ? '' : ` · ${when(m.time)}`} · steps <span data-testid="range">${esc(m.lo)}..${esc(m.hi)}</span> · <span class="mono">${esc(m.tx.slice(0, 12))}…</span></div>
        <span class="range"><span style="left:${left}%;width:${width}%"></span></span></li>`;
    })
    .join('');
  const payouts =
    d.payouts.length === 0
      ? '<p class="muted">No payout yet.</p>'
      : `<table data-testid="payouts"><thead><tr><th>account</th><th>credited</th><th>by</th></tr></thead><tbody>${d.payouts
          .map(
            (p) =>
              `<tr><td>${who(p.account)}</td><td>${amount(p.amount)}</td><td>${p.from === 'market' ? 'the market (slash shares, refund)' : 'the dispute game (bond)'}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const clock = (side: 'solver' | 'challenger', left: number): string =>
    `${left} s of ${d.clockBudget} s${d.mover?.side === side ? ` · <strong>to move</strong> (${d.mover.left} s left now)` : ''}`;
  return `<h1>Dispute ${esc(d.id)} ${status(d.stage)}</h1>
    <div class="grid">
      ${card('job', `<a href="#/job/${esc(d.jobId)}">job ${esc(d.jobId)}</a>, interval ${d.interval}`)}
      ${card('challenger', who(d.challenger))}
      ${card('solver', who(d.solver))}
      ${card('bond', amount(d.bond))}
      ${card('steps in dispute', `${esc(d.lo)}..${esc(d.hi)} (from ${esc(d.startLo)}..${esc(d.startHi)})`, 'in-dispute')}
      ${card('solver clock', clock('solver', d.solverClock))}
      ${card('challenger clock', clock('challenger', d.challengerClock))}
      ${card('op-trace root', d.traceRoot === null ? '—' : `<span class="mono" data-testid="trace-root">${esc(d.traceRoot.slice(0, 18))}…</span>`)}
      ${card('pointed element', d.pointed === null ? '—' : `<span data-testid="pointed">${esc(d.pointed.name)}</span>`)}
    </div>
    <h2>Verdict</h2>
    <div class="verdict ${esc(d.verdict ?? '')}" data-testid="verdict">${d.verdict === null ? 'not decided yet' : esc(d.verdict === 'ChallengerWon' ? 'ChallengerWon: the solver is slashed' : d.verdict === 'SolverWon' ? 'SolverWon: the challenge failed' : d.verdict)}</div>
    <h2>Payouts</h2>${payouts}
    <h2>Timeline</h2><ol class="timeline" data-testid="timeline">${moves}</ol>`;
}

function accountsPage(s: Page): string {
  const rows = s.accounts
    .map(
      (a: AccountView) =>
        `<tr data-testid="account-row"><td>${a.label === null ? '' : `<strong>${esc(a.label)}</strong><br>`}<span class="mono">${esc(a.address)}</span></td><td>${esc(a.roles.join(', '))}</td><td>${amount(a.staked)}</td><td>${amount(a.locked)}</td><td>${amount(a.pendingUnstake)}</td><td>${amount(a.credit)}${a.gameCredit === '0' ? '' : ` + ${amount(a.gameCredit)} (game)`}</td><td>${amount(a.withdrawn)}</td><td data-testid="gas">${Number(a.gasUsed).toLocaleString('en-US')} <span class="muted">(${a.transactions} tx)</span></td></tr>`,
    )
    .join('');
  return `<h1>Accounts</h1><table data-testid="accounts"><thead><tr><th>account</th><th>roles</th><th>staked</th><th>locked</th><th>unstaking</th><th>credit</th><th>withdrawn</th><th>gas spent</th></tr></thead><tbody>${rows}</tbody></table>
    <p class="muted">Gas: every transaction that emitted an event of the market, the dispute game or the stake vault, by sender.</p>`;
}

function render(): void {
  const s = snap;
  if (s === undefined) return;
  const route = location.hash.replace(/^#/, '') || '/';
  const job = /^\/job\/(\d+)$/.exec(route)?.[1];
  const dispute = /^\/dispute\/(\d+)$/.exec(route)?.[1];
  const scroll = window.scrollY;
  let html: string;
  let j: JobView | undefined;
  if (job !== undefined) {
    j = s.jobs.find((x) => x.id === job);
    html = j === undefined ? `<h1>Job ${esc(job)}</h1><p class="muted">No such job on this market.</p>` : jobPage(s, j);
  } else if (dispute !== undefined) {
    const d = s.disputes.find((x) => x.id === dispute);
    html = d === undefined ? `<h1>Dispute ${esc(dispute)}</h1><p class="muted">No such dispute.</p>` : disputePage(s, d);
  } else if (route === '/disputes') html = disputesPage(s);
  else if (route === '/accounts') html = accountsPage(s);
  else html = jobsPage(s);
  // Keep the chart's canvas across updates of the same job; rebuild the rest.
  const canvas = chart?.key === `job-${job ?? ''}` ? chart.chart.canvas : undefined;
  main.innerHTML = html;
  if (canvas !== undefined) document.getElementById('loss-chart')?.replaceWith(canvas);
  else {
    chart?.chart.destroy();
    chart = undefined;
  }
  if (j !== undefined) drawLossChart(j);
  window.scrollTo(0, scroll);
  footer.textContent = `chain ${s.chainId} · market ${s.contracts.market} · game ${s.contracts.game} · ${s.events} events read`;
  document.body.dataset.version = String(s.version);
}

async function refresh(): Promise<void> {
  try {
    const res = await fetch('/api/snapshot', { cache: 'no-store' });
    if (!res.ok) throw new Error(`the explorer answered ${res.status}`);
    snap = (await res.json()) as Page;
    live.classList.remove('down');
    live.textContent = `block ${snap.head.number} · live`;
    render();
  } catch (err) {
    live.classList.add('down');
    live.textContent = `offline: ${err instanceof Error ? err.message : String(err)}`;
  }
}

// One refresh at a time; a change announced during one is read right after it.
let running = false;
let again = false;
const onVersion = (): void => {
  if (running) {
    again = true;
    return;
  }
  running = true;
  void refresh().finally(() => {
    running = false;
    if (again) {
      again = false;
      onVersion();
    }
  });
};
const stream = new EventSource('/api/stream');
stream.addEventListener('version', onVersion);
stream.addEventListener('error', () => {
  live.classList.add('down');
  live.textContent = 'reconnecting…';
});
window.addEventListener('hashchange', render);
