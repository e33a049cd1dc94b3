// The status page (GET /) as a person sees it, in headless Chromium (Debian's package) driven by
// puppeteer-core (which never downloads a browser). test_status_page.py starts the emulator and
// `influx2iceberg serve` and hands over a JSON file:
//
//   node status_page.mjs SETUP.json
//
// SETUP: base_url, api_token, influx_token, scheduled_job (id), backfill_body (the POST body of an
// async backfill), interop_dir (where node_modules is), chromium, out_dir (screenshots, not
// checked). This script POSTs the backfill itself once the browser is up, so the page is looked at
// while the backfill runs.
//
// What it reads is what is on screen: document.title, the table by its column headers, the cells'
// innerText, whether a <progress> is rendered (non-zero box, not hidden). The expectations are
// plain functions over such snapshots, and each is also run against a snapshot altered to be wrong
// (negative controls), which must make it report a problem: a check that cannot fail fails the
// test.
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const setup = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(setup.interop_dir, 'package.json'));
const puppeteer = require('puppeteer-core');

const T0 = Date.now();
const problems = [];
const log = msg => console.log(`[${((Date.now() - T0) / 1000).toFixed(1)} s] ${msg}`);
function expect(label, list) {
  if (list.length) {
    for (const p of list) problems.push(`${label}: ${p}`);
    log(`FAIL ${label}:\n    ${list.join('\n    ')}`);
  } else {
    log(`ok   ${label}`);
  }
}
const sleep = ms => new Promise(r => setTimeout(r, ms));
const bearer = { Authorization: `Bearer ${setup.api_token}` };

async function api(p, init = {}) {
  const r = await fetch(setup.base_url + p, { ...init, headers: { ...bearer, ...(init.headers || {}) } });
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* reported by the caller */ }
  return { status: r.status, body, text };
}

// ------------------------------------------------------------------ what is on screen

async function snapshot(page) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await page.evaluate(() => {
        const shown = el => {
          const r = el.getBoundingClientRect();
          const cs = getComputedStyle(el);
          return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none' &&
            Number(cs.opacity) > 0;
        };
        const heads = [...document.querySelectorAll('table thead th')].map(th => th.innerText.trim());
        const rows = [...document.querySelectorAll('table tbody tr')].map(tr => {
          const cells = {};
          [...tr.cells].forEach((td, i) => { cells[heads[i] ?? `#${i}`] = td.innerText.trim(); });
          const jobLines = (cells.Job ?? '').split('\n').map(s => s.trim()).filter(Boolean);
          const bars = [...tr.querySelectorAll('progress')].map(p => {
            const r = p.getBoundingClientRect();
            return { shown: shown(p), width: r.width, height: r.height,
                     determinate: p.hasAttribute('value'), value: p.value, max: p.max };
          });
          return { id: jobLines[0] ?? '', kind: jobLines[1] ?? '', shown: shown(tr), cells, bars };
        });
        const h1 = document.querySelector('h1');
        return { title: document.title, heading: h1 && shown(h1) ? h1.innerText.trim() : null, heads,
                 rows, text: document.body ? document.body.innerText : '',
                 html: document.documentElement.outerHTML };
      });
    } catch (e) {
      // the page's own <meta refresh> may navigate while we read it: read the new one
      if (attempt < 3 && /context was destroyed|navigation/i.test(String(e))) {
        await sleep(300);
        continue;
      }
      throw e;
    }
  }
}

async function load(page, url = setup.base_url + '/') {
  const resp = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  return { resp, snap: await snapshot(page) };
}

const rowOf = (snap, id) => snap.rows.find(r => r.id === id);

// ------------------------------------------------------------------ expectations (pure)

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const HEADS = ['Job', 'Table', 'State', 'Progress', 'Last commit', 'Lag'];

function expectPage(snap, jobs) {
  const p = [];
  if (snap.title !== 'influx2iceberg') p.push(`document title is ${JSON.stringify(snap.title)}`);
  if (snap.heading !== 'influx2iceberg') p.push(`visible heading is ${JSON.stringify(snap.heading)}`);
  for (const h of HEADS) if (!snap.heads.includes(h)) p.push(`no column "${h}" (columns: ${snap.heads.join(', ')})`);
  if (snap.rows.length !== jobs.length)
    p.push(`${snap.rows.length} rows (${snap.rows.map(r => r.id).join(', ')}), expected ${jobs.length}`);
  for (const j of jobs) {
    const r = rowOf(snap, j.id);
    if (!r) { p.push(`no row for job ${j.id}`); continue; }
    if (!r.shown) p.push(`the row of ${j.id} is not visible`);
    if (r.kind !== j.kind) p.push(`${j.id} is shown as ${JSON.stringify(r.kind)}, expected ${j.kind}`);
    const t = r.cells.Table ?? '';
    if (!t.includes(j.measurement) || !t.endsWith(j.table))
      p.push(`${j.id}: Table cell ${JSON.stringify(t)} does not show ${j.measurement} and ${j.table}`);
  }
  return p;
}

// A running backfill: state "running", one rendered, determinate <progress> with value < max, and
// "done/total windows" in words that agree with it (and with the job's windows_total).
function expectRunning(row, windowsTotal) {
  const p = [];
  if (!row) return ['no row'];
  if (row.cells.State !== 'running') p.push(`State is ${JSON.stringify(row.cells.State)}, expected running`);
  if (row.bars.length !== 1) p.push(`${row.bars.length} progress bars in the row, expected 1`);
  const b = row.bars[0];
  if (b) {
    if (!b.shown) p.push(`the progress bar is not rendered (${b.width}x${b.height})`);
    if (!b.determinate) p.push('the progress bar has no value');
    if (!(b.max > 1)) p.push(`progress max is ${b.max}`);
    if (!(b.value >= 0 && b.value < b.max)) p.push(`progress value ${b.value} is not in [0, max=${b.max})`);
    if (windowsTotal != null && b.max !== windowsTotal)
      p.push(`progress max ${b.max} but the job has ${windowsTotal} windows`);
  }
  const m = /(\d+)\s*\/\s*(\d+)\s+windows/.exec(row.cells.Progress ?? '');
  if (!m) p.push(`Progress cell ${JSON.stringify(row.cells.Progress)} does not say "N/M windows"`);
  else if (b && (Number(m[1]) !== b.value || Number(m[2]) !== b.max))
    p.push(`the text says ${m[1]}/${m[2]} windows, the bar ${b.value}/${b.max}`);
  if (!/rows\/s/.test(row.cells.Progress ?? '')) p.push('no rows/s rate under the bar');
  return p;
}

function expectAdvanced(first, later) {
  if (!later) return ['no later load while running showed more windows done'];
  const a = first.bars[0]?.value, b = later.bars[0]?.value;
  return b > a ? [] : [`the bar went from ${a} to ${b}`];
}

function parseLag(text) {
  const m = /^(\d+(?:\.\d+)?) (s|min|h|d)$/.exec(text ?? '');
  return m ? Number(m[1]) * { s: 1, min: 60, h: 3600, d: 86400 }[m[2]] : null;
}

// A scheduled job that committed: Last commit is a time between the test's start and now, Lag a
// duration close to the API's lag_seconds.
function expectCommitted(row, since, until, apiLag) {
  const p = [];
  if (!row) return ['no row'];
  const lc = row.cells['Last commit'] ?? '';
  if (!RFC3339.test(lc)) p.push(`Last commit ${JSON.stringify(lc)} is not a time`);
  else {
    const t = Date.parse(lc);
    if (!(t >= since - 1000 && t <= until + 1000))
      p.push(`Last commit ${lc} is outside the test's run (${new Date(since).toISOString()} .. ${new Date(until).toISOString()})`);
  }
  const lag = parseLag(row.cells.Lag);
  if (lag == null) p.push(`Lag ${JSON.stringify(row.cells.Lag)} is not a duration`);
  else if (apiLag == null) p.push('the API reports no lag_seconds');
  else if (Math.abs(lag - apiLag) > 30) p.push(`Lag shows ${lag} s, the API ${apiLag.toFixed(1)} s`);
  return p;
}

function expectFinished(row, apiRows) {
  const p = [];
  if (!row) return ['no row'];
  if (row.cells.State !== 'succeeded') p.push(`State is ${JSON.stringify(row.cells.State)}, expected succeeded`);
  if (row.bars.length) p.push(`${row.bars.length} progress bar(s) after the end`);
  if (/windows/.test(row.cells.Progress ?? '')) p.push(`Progress still says ${JSON.stringify(row.cells.Progress)}`);
  if (!RFC3339.test(row.cells['Last commit'] ?? '')) p.push(`Last commit ${JSON.stringify(row.cells['Last commit'])} is not a time`);
  if (String(apiRows) !== row.cells.Rows) p.push(`Rows shows ${JSON.stringify(row.cells.Rows)}, the API ${apiRows}`);
  if (!(apiRows > 0)) p.push(`the API reports ${apiRows} rows`);
  return p;
}

function expectNoSecrets(html) {
  const p = [];
  for (const [name, s] of [['the InfluxDB token', setup.influx_token], ['the API token', setup.api_token]])
    if (html.includes(s)) p.push(`the page contains ${name}`);
  return p;
}

// ------------------------------------------------------------------ the run

const outDir = setup.out_dir;
mkdirSync(outDir, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: setup.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
log(`browser: ${await browser.version()}`);
const snaps = {};

// A fresh browser context (no cached credentials) loads / and answers the browser's auth prompts as
// a person would: with `creds` the first time (if given), then Cancel. Returns the final answer and
// the prompts seen.
async function visitAnswering(creds) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  const cdp = await page.createCDPSession();
  const challenges = [];
  cdp.on('Fetch.requestPaused', e => cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => {}));
  cdp.on('Fetch.authRequired', e => {
    challenges.push(e.authChallenge);
    const answer = creds && challenges.length === 1
      ? { response: 'ProvideCredentials', username: creds.username, password: creds.password }
      : { response: 'CancelAuth' };
    cdp.send('Fetch.continueWithAuth', { requestId: e.requestId, authChallengeResponse: answer }).catch(() => {});
  });
  await cdp.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });
  try {
    const resp = await page.goto(setup.base_url + '/', { waitUntil: 'load', timeout: 30000 });
    const text = await page.evaluate(() => document.body ? document.body.innerText : '');
    return { status: resp.status(), headers: resp.headers(), text, challenges };
  } finally {
    await ctx.close();
  }
}
try {
  // Not logged in: the browser is asked for Basic auth (realm influx2iceberg); a person who cancels
  // the prompt sees the 401 and nothing of the jobs. Wrong credentials are asked for again.
  {
    const v = await visitAnswering(null);
    const p = [];
    if (v.status !== 401) p.push(`status ${v.status}`);
    if (!/^Basic\b/.test(v.headers['www-authenticate'] ?? ''))
      p.push(`WWW-Authenticate is ${JSON.stringify(v.headers['www-authenticate'])}`);
    if (v.challenges.length !== 1 || v.challenges[0].scheme.toLowerCase() !== 'basic' ||
        v.challenges[0].realm !== 'influx2iceberg')
      p.push(`the browser's auth prompts: ${JSON.stringify(v.challenges)}`);
    if (v.text.includes(setup.scheduled_job) && v.text.includes('scheduled')) p.push('the jobs are shown anyway');
    if (!/token/.test(v.text)) p.push(`the 401 page does not say what to enter: ${JSON.stringify(v.text)}`);
    expect('without credentials: 401 asking for Basic auth', p);
  }
  {
    const v = await visitAnswering({ username: 'anyone', password: 'not-the-token-0123456789' });
    const p = [];
    if (v.status !== 401) p.push(`status ${v.status}`);
    if (v.challenges.length !== 2) p.push(`${v.challenges.length} auth prompt(s), expected a second after the wrong password`);
    expect('Basic auth with a wrong password: asked again, 401', p);
  }
  {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.authenticate({ username: 'anyone', password: setup.api_token });
    const { resp, snap } = await load(page);
    const p = resp.status() === 200 ? [] : [`status ${resp.status()}`];
    if (snap.title !== 'influx2iceberg') p.push(`title ${JSON.stringify(snap.title)}`);
    if (!rowOf(snap, setup.scheduled_job)) p.push(`no row for ${setup.scheduled_job}`);
    expect('Basic auth with the token as password: the page', p);
    expect('Basic auth page: no secrets', expectNoSecrets(snap.html));
    await ctx.close();
  }

  // The bearer token, as a script would send it, from here on.
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 500 });
  await page.setExtraHTTPHeaders(bearer);

  const posted = await api('/api/v3/engine/replicate?async=true', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(setup.backfill_body),
  });
  if (posted.status !== 202 || !posted.body?.job_id) throw new Error(`POST replicate: ${posted.status} ${posted.text}`);
  const reqId = posted.body.job_id;
  log(`backfill ${reqId} accepted`);
  const jobs = [
    { id: setup.scheduled_job, kind: 'scheduled', measurement: setup.backfill_body.measurement,
      table: `default.${setup.scheduled_job_table}` },
    { id: reqId, kind: 'request', measurement: setup.backfill_body.measurement,
      table: `default.${setup.backfill_body.table_name}` },
  ];

  // While it runs: reload until the row shows its windows (the first moments say "starting").
  let running = null, total = null, polls = 0;
  for (const deadline = Date.now() + 60000; Date.now() < deadline; polls++) {
    const { resp, snap } = await load(page);
    if (resp.status() !== 200) throw new Error(`GET / answered ${resp.status()}`);
    const row = rowOf(snap, reqId);
    if (row && /windows/.test(row.cells.Progress ?? '')) { running = snap; break; }
    if (row && row.cells.State !== 'running') break;
    await sleep(150);
  }
  const jr = await api(`/api/v3/engine/jobs/${reqId}`);
  total = jr.body?.progress?.windows_total ?? null;
  if (!running) {
    expect('the running backfill', [`the page never showed its windows while it ran (after ${polls} loads)`]);
  } else {
    await page.screenshot({ path: path.join(outDir, 'running.png'), fullPage: true });
    snaps.running = running;
    const row = rowOf(running, reqId);
    log(`running: ${row.cells.State} | ${row.cells.Progress.replace(/\n/g, ' | ')}`);
    expect('page while the backfill runs', expectPage(running, jobs));
    expect('the backfill row while it runs', expectRunning(row, total));
    expect('page while running: no secrets', expectNoSecrets(running.html));
    // and, reloaded while it still runs, the bar has moved on
    let later = null;
    for (const deadline = Date.now() + 120000; Date.now() < deadline;) {
      await sleep(400);
      const { snap } = await load(page);
      const r = rowOf(snap, reqId);
      if (!r || r.cells.State !== 'running') break;
      if (r.bars[0]?.value > row.bars[0]?.value) { later = snap; break; }
    }
    if (later) {
      await page.screenshot({ path: path.join(outDir, 'running.png'), fullPage: true });
      snaps.later = later;
      log(`later: ${rowOf(later, reqId).cells.Progress.replace(/\n/g, ' | ')}`);
      expect('the backfill row later in the run', expectRunning(rowOf(later, reqId), total));
    }
    expect('the bar advances while the backfill runs', expectAdvanced(row, later && rowOf(later, reqId)));
  }

  // The scheduled job fires every second: its Last commit and Lag fill once it committed.
  let committed = null;
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) {
    const { snap } = await load(page);
    const row = rowOf(snap, setup.scheduled_job);
    if (row && RFC3339.test(row.cells['Last commit'] ?? '') && parseLag(row.cells.Lag) != null) { committed = snap; break; }
    await sleep(300);
  }
  {
    const js = await api(`/api/v3/engine/jobs/${setup.scheduled_job}`);
    const snap = committed ?? (await load(page)).snap;
    snaps.committed = snap;
    snaps.committedApiLag = js.body?.lag_seconds ?? null;
    const row = rowOf(snap, setup.scheduled_job);
    log(`scheduled: ${row?.cells.State} | last commit ${row?.cells['Last commit']} | lag ${row?.cells.Lag}`);
    expect('the scheduled job after it committed', expectCommitted(row, setup.started_ms, Date.now(), snaps.committedApiLag));
    const reqRow = rowOf(snap, reqId);
    if (reqRow && parseLag(reqRow.cells.Lag) != null)
      expect('a backfill shows no lag', [`Lag ${JSON.stringify(reqRow.cells.Lag)}`]);
  }

  // After the end: the job API says so, and a reload shows it succeeded, with no bar.
  let fin = null;
  for (const deadline = Date.now() + 180000; Date.now() < deadline;) {
    const r = await api(`/api/v3/engine/jobs/${reqId}`);
    if (r.body && r.body.running === false) { fin = r.body; break; }
    await sleep(250);
  }
  if (!fin) throw new Error(`the backfill ${reqId} did not finish in 3 minutes`);
  log(`backfill finished: ${fin.state}, ${fin.totals?.rows} rows, ${fin.progress?.windows_total} windows`);
  if (fin.state !== 'succeeded') problems.push(`the backfill ended ${fin.state}: ${fin.last_error}`);
  {
    const { snap } = await load(page);
    await page.screenshot({ path: path.join(outDir, 'finished.png'), fullPage: true });
    snaps.finished = snap;
    snaps.finishedRows = fin.totals?.rows;
    const row = rowOf(snap, reqId);
    log(`finished: ${row?.cells.State} | ${row?.cells.Progress} | rows ${row?.cells.Rows}`);
    expect('page after the backfill', expectPage(snap, jobs));
    expect('the backfill row after the end', expectFinished(row, fin.totals?.rows));
    expect('page after the end: no secrets', expectNoSecrets(snap.html));
  }
  // Left alone, the page refreshes itself (a person does not press reload).
  {
    let p = [];
    try {
      await page.waitForNavigation({ waitUntil: 'load', timeout: 9000 });
      const snap = await snapshot(page);
      if (!rowOf(snap, reqId)) p.push('the refreshed page lost the backfill row');
    } catch (e) {
      p.push(`no refresh within 9 s (${e.message.split('\n')[0]})`);
    }
    expect('the page refreshes itself', p);
  }

  // ---------------------------------------------------------------- negative controls
  // Each expectation against a snapshot made wrong on purpose must report a problem.
  const clone = o => JSON.parse(JSON.stringify(o));
  const controls = [];
  const control = (label, fn) => controls.push([label, fn]);
  if (snaps.running) {
    const rr = s => rowOf(s, reqId);
    control('title changed', () => { const s = clone(snaps.running); s.title = 'Index'; return expectPage(s, jobs); });
    control('backfill row missing', () => { const s = clone(snaps.running); s.rows = s.rows.filter(r => r.id !== reqId); return expectPage(s, jobs); });
    control('table name wrong', () => { const s = clone(snaps.running); rr(s).cells.Table = 'cpu → default.cpu'; return expectPage(s, jobs); });
    control('progress bar not rendered', () => { const s = clone(snaps.running); Object.assign(rr(s).bars[0], { shown: false, width: 0 }); return expectRunning(rr(s), total); });
    control('progress bar full', () => { const s = clone(snaps.running); const b = rr(s).bars[0]; b.value = b.max; return expectRunning(rr(s), total); });
    control('progress bar indeterminate', () => { const s = clone(snaps.running); rr(s).bars[0].determinate = false; return expectRunning(rr(s), total); });
    control('no "windows" text', () => { const s = clone(snaps.running); rr(s).cells.Progress = 'starting'; return expectRunning(rr(s), total); });
    control('bar and text disagree', () => { const s = clone(snaps.running); rr(s).bars[0].value += 1; return expectRunning(rr(s), total); });
    control('bar did not move', () => expectAdvanced(rr(snaps.running), rr(clone(snaps.running))));
    control('token on the page', () => expectNoSecrets(snaps.running.html + setup.influx_token));
    control('API token on the page', () => expectNoSecrets(`<p>${setup.api_token}</p>`));
  }
  if (snaps.committed) {
    const sr = s => rowOf(s, setup.scheduled_job);
    control('no last commit', () => { const s = clone(snaps.committed); sr(s).cells['Last commit'] = '-'; return expectCommitted(sr(s), setup.started_ms, Date.now(), snaps.committedApiLag); });
    control('last commit long ago', () => { const s = clone(snaps.committed); sr(s).cells['Last commit'] = '2001-01-01T00:00:00Z'; return expectCommitted(sr(s), setup.started_ms, Date.now(), snaps.committedApiLag); });
    control('no lag', () => { const s = clone(snaps.committed); sr(s).cells.Lag = '-'; return expectCommitted(sr(s), setup.started_ms, Date.now(), snaps.committedApiLag); });
    control('lag far off', () => { const s = clone(snaps.committed); sr(s).cells.Lag = '5.0 h'; return expectCommitted(sr(s), setup.started_ms, Date.now(), snaps.committedApiLag); });
  }
  if (snaps.finished) {
    const fr = s => rowOf(s, reqId);
    control('finished but failed', () => { const s = clone(snaps.finished); fr(s).cells.State = 'failed'; return expectFinished(fr(s), snaps.finishedRows); });
    control('bar left after the end', () => { const s = clone(snaps.finished); fr(s).bars.push({ shown: true, width: 100, height: 10, determinate: true, value: 5, max: 5 }); return expectFinished(fr(s), snaps.finishedRows); });
    control('rows wrong', () => { const s = clone(snaps.finished); fr(s).cells.Rows = '0'; return expectFinished(fr(s), snaps.finishedRows); });
    control('extra row', () => { const s = clone(snaps.finished); s.rows.push(clone(fr(s))); s.rows.at(-1).id = 'ghost'; return expectPage(s, jobs); });
  }
  const blind = controls.filter(([, fn]) => fn().length === 0).map(([l]) => l);
  expect(`negative controls (${controls.length}) each detected`, blind.map(l => `a wrong page passed: ${l}`));
} catch (e) {
  problems.push(`error: ${e.stack || e}`);
  log(`ERROR ${e.stack || e}`);
} finally {
  await browser.close();
}
log(problems.length ? `${problems.length} problem(s)` : 'all checks passed');
process.exit(problems.length ? 1 : 0);
