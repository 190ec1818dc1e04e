// Buffalo dashboard: a plain browser module (no build step) that calls the API of the server
// that served it. Shapes follow CONTRACT.md; money arrives as strings of integer minor units and
// is formatted with BigInt, so no amount ever passes through a float on its way to the screen.

const STORE = { api: 'buffalo.dashboard.apiKey', admin: 'buffalo.dashboard.adminKey' };
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- DOM helpers

/** Builds an element; text goes through textContent only, so API data can never inject markup. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function table(headers, rows) {
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) =>
          typeof h === 'string' ? el('th', { text: h }) : el('th', { className: h.className, text: h.text }),
        ),
      ),
    ),
    el('tbody', {}, rows),
  );
}

const td = (text, attrs = {}) => el('td', { text: text ?? '–', ...attrs });
const num = (text, attrs = {}) => el('td', { className: 'num', text: text ?? '–', ...attrs });
const badge = (value) => el('span', { className: `badge ${value ?? ''}`, text: value ?? '–' });

function stat(label, value, opts = {}) {
  return el(
    'div',
    { className: 'stat' },
    el('span', { className: 'label', text: label }),
    el('span', { className: `value ${opts.tone ?? ''}`, 'data-testid': opts.testid, text: value }),
    opts.sub ? el('span', { className: 'sub', text: opts.sub }) : null,
  );
}

function setState(sectionId, state) {
  $(sectionId).dataset.state = state;
}

// ---------------------------------------------------------------- money and time

/** Minor-unit exponents other than 2, as the server wrote the ledger (filled at start-up). */
let EXPONENTS = {};
const exponentOf = (currency) => EXPONENTS[currency] ?? 2;

/** "123456" → "1,234.56" (exponent 2); exact for any size, negative amounts keep their sign. */
export function formatMinor(cents, exponent = 2) {
  let v = BigInt(cents);
  const negative = v < 0n;
  if (negative) v = -v;
  const base = 10n ** BigInt(exponent);
  const whole = (v / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exponent > 0 ? `.${(v % base).toString().padStart(exponent, '0')}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

const money = (cents, currency) => formatMinor(cents, exponentOf(currency));
/** Bar heights only: a chart needs a number, and a pixel is far coarser than a float's error. */
const chartValue = (cents, currency) => Number(cents) / 10 ** exponentOf(currency);
const count = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');

function age(seconds) {
  if (seconds === null || seconds === undefined) return 'none';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** ISO instant → "2026-06-15 10:00:03" in the viewer's zone (the title keeps the exact instant). */
function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
const timeCell = (iso) => td(when(iso), { title: iso ?? undefined, className: 'time' });

function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- keys and API

const keys = { api: sessionStorage.getItem(STORE.api) ?? '', admin: sessionStorage.getItem(STORE.admin) ?? '' };

class ApiError extends Error {
  constructor(status, body, requestId, method, path) {
    super(body?.message ?? (status ? `The API answered HTTP ${status}.` : 'The API could not be reached.'));
    this.status = status;
    this.body = body ?? {};
    this.code = body?.error ?? null;
    this.requestId = body?.requestId ?? requestId ?? null;
    this.method = method;
    this.path = path;
  }

  /** Only the router's own 404 means "no such endpoint"; run_not_found etc. are real answers. */
  get unavailable() {
    return this.status === 404 && this.code === 'not_found';
  }
}

/** A UUID v4 for Idempotency-Key; randomUUID exists only in secure contexts (https, localhost). */
function idempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function api(path, { admin = false, method = 'GET' } = {}) {
  const headers = { Accept: 'application/json' };
  // The admin key is accepted wherever the read key is, so it stands in when only it was given.
  const readKey = keys.api || keys.admin;
  if (readKey) headers['X-Api-Key'] = readKey;
  if (admin && keys.admin) headers['X-Admin-Api-Key'] = keys.admin;
  // Every admin POST needs one; a fresh key per click, so a second click is a second request.
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey();
  const shownPath = path.split('?')[0];
  let res;
  try {
    res = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit' });
  } catch (err) {
    throw new ApiError(
      0,
      { error: 'network_error', message: `The API could not be reached (${err.message}).` },
      null,
      method,
      shownPath,
    );
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, body, res.headers.get('x-request-id'), method, shownPath);
    noteKeyProblem(err);
    throw err;
  }
  return body;
}

// ---------------------------------------------------------------- messages

const bannerLines = new Map();

function renderBanner() {
  const banner = $('banner');
  banner.replaceChildren(...[...bannerLines.values()].map((line) => el('div', {}, line)));
  banner.hidden = bannerLines.size === 0;
}

/** A refused key is said once, at the top, in the API's own words. */
function noteKeyProblem(err) {
  if (err.status !== 401) return;
  const which = err.body.code === 'invalid_admin_key' ? 'admin' : 'api';
  const label = which === 'admin' ? 'admin key' : 'API key';
  bannerLines.set(which, [
    `The API refused the ${label}: ${err.message} `,
    el('span', { className: 'rid', text: `(requestId ${err.requestId ?? 'unknown'})` }),
  ]);
  renderBanner();
}

function showStatus(id, kind, text, detail) {
  $(id).replaceChildren(
    el('p', { className: `msg ${kind}` }, text, detail ? el('span', { className: 'rid', text: detail }) : null),
  );
}

function clearStatus(id) {
  $(id).replaceChildren();
}

/** Every API error body carries message and requestId: both are shown, never a blank panel. */
function showError(id, err, what) {
  if (err instanceof ApiError && err.unavailable) {
    showStatus(id, 'unavailable', `${what}: not available on this server (${err.method} ${err.path} answered 404).`);
    return 'unavailable';
  }
  if (err instanceof ApiError) {
    const parts = [
      err.status ? `HTTP ${err.status}` : null,
      err.code,
      err.body.code,
      err.requestId ? `requestId ${err.requestId}` : null,
    ];
    const issues = Array.isArray(err.body.issues)
      ? err.body.issues.map((i) => `${i.field}: ${i.message}`).join('; ')
      : '';
    showStatus(
      id,
      'error',
      err.message + (issues && !err.message.includes(issues) ? ` (${issues})` : ''),
      parts.filter(Boolean).join(' · '),
    );
    return 'error';
  }
  showStatus(id, 'error', `The page failed: ${err?.message ?? err}`);
  console.error(err);
  return 'error';
}

function needAdmin(statusId, bodyId, sectionId) {
  $(bodyId).replaceChildren();
  showStatus(statusId, 'info', 'This section needs the admin key: enter it above and press Connect.');
  setState(sectionId, 'need-admin');
}

// ---------------------------------------------------------------- revenue

const revenue = { daily: null, weekly: null, charts: {}, seq: 0, selected: null };

function filterParams() {
  const q = new URLSearchParams();
  const set = (name, value) => value && q.set(name, value.trim());
  set('startDate', $('f-start').value);
  set('endDate', $('f-end').value);
  set('currency', $('f-currency').value);
  set('tz', $('f-tz').value);
  set('source', $('f-source').value);
  return q;
}

function clearRevenue() {
  $('revenue').classList.add('empty');
  for (const id of ['total-net', 'total-gross', 'total-refunds', 'total-count', 'total-refund-count'])
    document.querySelector(`[data-testid="${id}"]`).textContent = '–';
  for (const chart of Object.values(revenue.charts)) chart.destroy();
  revenue.charts = {};
  revenue.daily = revenue.weekly = null;
  $('table-daily').replaceChildren();
  $('table-weekly').replaceChildren();
  $('revenue-range').textContent = '';
}

async function loadRevenue() {
  const seq = ++revenue.seq;
  const q = filterParams();
  setState('revenue', 'loading');
  $('revenue').dataset.query = q.toString();
  showStatus('revenue-status', 'info', 'Loading revenue…');
  try {
    const [daily, weekly] = await Promise.all([
      api(`/metrics/revenue/daily?${q}`),
      api(`/metrics/revenue/weekly?${q}`),
    ]);
    if (seq !== revenue.seq) return;
    revenue.daily = daily;
    revenue.weekly = weekly;
    $('revenue').classList.remove('empty');
    renderCurrencies(daily);
    renderTotals(daily);
    renderBuckets('daily', daily, 'date');
    renderBuckets('weekly', weekly, 'weekStartDate');
    if (daily.breakdown.length === 0)
      showStatus('revenue-status', 'info', `No ${daily.currency} revenue in this range.`);
    else clearStatus('revenue-status');
    setState('revenue', 'ready');
  } catch (err) {
    if (seq !== revenue.seq) return;
    clearRevenue();
    setState('revenue', showError('revenue-status', err, 'Revenue'));
  }
}

function renderCurrencies(report) {
  const select = $('f-currency');
  const codes = [...new Set([...(report.currencies ?? []), report.currency])].sort();
  select.replaceChildren(...codes.map((c) => el('option', { value: c, text: c })));
  select.value = report.currency;
}

function renderTotals(r) {
  const set = (id, text, negative = false) => {
    const node = document.querySelector(`[data-testid="${id}"]`);
    node.textContent = text;
    node.classList.toggle('bad', negative);
  };
  set('total-net', money(r.totalRevenueCents, r.currency), r.totalRevenueCents.startsWith('-'));
  set('total-gross', money(r.grossCents, r.currency));
  set('total-refunds', money(r.refundsCents, r.currency));
  set('total-count', count(r.count));
  set('total-refund-count', count(r.refundCount));
  const range = r.startDate ? `${r.startDate} → ${r.endDate}` : 'no data yet';
  $('revenue-range').textContent =
    `Amounts in ${r.currency} · ${range} · days cut in ${r.tz} · ${r.source ?? 'all sources'} · net = gross − refunds`;
}

function renderBuckets(kind, report, key) {
  const cur = report.currency;
  const rows = report.breakdown.map((b, i) =>
    el(
      'tr',
      { 'data-bucket': b[key] },
      td(b[key]),
      num(money(b.amountCents, cur), { 'data-field': 'amountCents' }),
      num(money(b.grossCents, cur), { 'data-field': 'grossCents' }),
      num(money(b.refundsCents, cur), { 'data-field': 'refundsCents' }),
      num(count(b.count), { 'data-field': 'count' }),
      num(count(b.refundCount), { 'data-field': 'refundCount' }),
      el(
        'td',
        {},
        el('button', {
          type: 'button',
          className: 'secondary small',
          text: 'trace',
          onclick: () => openTrace(kind, i),
        }),
      ),
    ),
  );
  const headers = [
    kind === 'daily' ? 'Day' : 'Week of',
    ...['Net', 'Gross', 'Refunds', 'Count', 'Refunds #'].map((text) => ({ text, className: 'num' })),
    '',
  ];
  $(`table-${kind}`).replaceChildren(...table(headers, rows).childNodes);
  renderChart(kind, report, key);
}

function renderChart(kind, report, key) {
  revenue.charts[kind]?.destroy();
  delete revenue.charts[kind];
  if (typeof window.Chart !== 'function') {
    showStatus(
      'revenue-status',
      'error',
      'The chart library did not load; the numbers are in the tables below the charts.',
    );
    return;
  }
  const cur = report.currency;
  const buckets = report.breakdown;
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  revenue.charts[kind] = new window.Chart($(`chart-${kind}`), {
    type: 'bar',
    data: {
      labels: buckets.map((b) => b[key]),
      datasets: [
        {
          label: `Net revenue (${cur})`,
          data: buckets.map((b) => chartValue(b.amountCents, cur)),
          backgroundColor: buckets.map((b) => (b.amountCents.startsWith('-') ? '#dc2626' : '#2563eb')),
          borderRadius: 2,
          minBarLength: 2,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => `Net ${money(buckets[ctx.dataIndex].amountCents, cur)} ${cur}`,
            afterLabel: (ctx) => {
              const b = buckets[ctx.dataIndex];
              return [
                `Gross ${money(b.grossCents, cur)}`,
                `Refunds ${money(b.refundsCents, cur)}`,
                `${b.count} charges/deals, ${b.refundCount} refunds`,
                'Click for the trace',
              ];
            },
          },
        },
      },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { beginAtZero: true, ticks: { callback: (v) => compact.format(v) } },
      },
      onClick: (_event, elements) => {
        if (elements.length) openTrace(kind, elements[0].index);
      },
      onHover: (event, elements) => {
        event.native.target.style.cursor = elements.length ? 'pointer' : 'default';
      },
    },
  });
}

// ---------------------------------------------------------------- trace (drill-down)

const trace = { seq: 0 };

/** The dates a bucket covers within the report's range (the first and last weeks may be cut). */
function bucketDates(kind, report, bucket) {
  if (kind === 'daily') return [bucket.date, bucket.date];
  const start = report.startDate && report.startDate > bucket.weekStartDate ? report.startDate : bucket.weekStartDate;
  const lastDay = addDays(bucket.weekStartDate, 6);
  const end = report.endDate && report.endDate < lastDay ? report.endDate : lastDay;
  return [start, end];
}

async function openTrace(kind, index, cursor = null) {
  const report = revenue[kind];
  const bucket = report?.breakdown[index];
  if (!bucket) return;
  const seq = cursor ? trace.seq : ++trace.seq;
  const [startDate, endDate] = bucketDates(kind, report, bucket);
  const q = new URLSearchParams({ startDate, endDate, currency: report.currency, tz: report.tz, limit: '100' });
  if (report.source) q.set('source', report.source);
  if (cursor) q.set('cursor', cursor);
  const section = $('trace');
  section.hidden = false;
  section.dataset.bucket = `${kind}:${startDate}:${endDate}`;
  setState('trace', 'loading');
  $('trace-title').textContent =
    `${startDate === endDate ? startDate : `${startDate} → ${endDate}`} · ${report.currency} · ${report.tz} · ${report.source ?? 'all sources'}`;
  for (const k of ['daily', 'weekly'])
    for (const tr of $(`table-${k}`).querySelectorAll('tr.selected')) tr.classList.remove('selected');
  $(`table-${kind}`).querySelectorAll('tbody tr')[index]?.classList.add('selected');
  if (!cursor) {
    $('trace-body').replaceChildren();
    section.scrollIntoView({ block: 'nearest' });
  }
  showStatus('trace-status', 'info', 'Loading the rows behind this figure…');
  try {
    const data = await api(`/metrics/revenue/trace?${q}`);
    if (seq !== trace.seq) return;
    clearStatus('trace-status');
    renderTrace(kind, index, report, bucket, data, Boolean(cursor));
    setState('trace', 'ready');
  } catch (err) {
    if (seq !== trace.seq) return;
    setState('trace', showError('trace-status', err, 'The trace'));
  }
}

function renderTrace(kind, index, report, bucket, data, append) {
  const cur = report.currency;
  const body = $('trace-body');
  if (!append) {
    const f = data.figure;
    const agrees = f.totalRevenueCents === bucket.amountCents;
    body.replaceChildren(
      el(
        'div',
        { className: 'totals' },
        stat('Net', money(f.totalRevenueCents, cur), { testid: 'trace-net' }),
        stat('Gross', money(f.grossCents, cur)),
        stat('Refunds', money(f.refundsCents, cur)),
        stat('Charges and won deals', count(f.count)),
        stat('Refunds posted', count(f.refundCount)),
      ),
      el('p', {
        className: `msg ${agrees ? 'ok' : 'error'}`,
        'data-testid': 'trace-check',
        text: agrees
          ? 'The trace reproduces the chart bar to the cent.'
          : `The trace (${money(f.totalRevenueCents, cur)}) differs from the bar (${money(bucket.amountCents, cur)}): the data changed since the chart was drawn; press Apply.`,
      }),
      el('table', { id: 'trace-rows' }),
      el('div', { id: 'trace-more' }),
    );
    $('trace-rows').replaceChildren(
      ...table(
        [
          'Source',
          'Kind',
          'External id',
          'Effect',
          { text: 'Amount', className: 'num' },
          'Occurred',
          'Status',
          'Vendor events',
        ],
        [],
      ).childNodes,
    );
  }
  const tbody = $('trace-rows').querySelector('tbody');
  for (const row of data.rows) {
    tbody.append(
      el(
        'tr',
        { 'data-external-id': row.externalId },
        td(row.source),
        td(row.kind),
        el(
          'td',
          {},
          el('span', { className: 'mono', text: row.externalId }),
          row.parentExternalId ? el('div', { className: 'muted small', text: `of ${row.parentExternalId}` }) : null,
        ),
        el('td', {}, badge(row.effect)),
        num(`${row.effect === 'refund' ? '−' : ''}${money(row.amountCents, row.currency)} ${row.currency}`, {
          'data-field': 'amountCents',
        }),
        timeCell(row.occurredAt),
        td(row.rawStatus && row.rawStatus !== row.status ? `${row.status} (${row.rawStatus})` : row.status),
        el('td', {}, eventList(row.events ?? [])),
      ),
    );
  }
  if (data.rows.length === 0 && !append)
    tbody.append(
      el('tr', {}, el('td', { colspan: '8', className: 'muted', text: 'No ledger rows behind this figure.' })),
    );
  const more = $('trace-more');
  more.replaceChildren();
  if (data.nextCursor)
    more.append(
      el('button', {
        type: 'button',
        className: 'secondary',
        text: 'Load more rows',
        onclick: () => openTrace(kind, index, data.nextCursor),
      }),
    );
}

function eventList(events) {
  if (events.length === 0) return el('span', { className: 'muted', text: 'none' });
  return el(
    'ul',
    { className: 'events' },
    events.map((e) =>
      el(
        'li',
        {},
        badge(e.origin),
        ` ${e.type ?? ''} `,
        el('span', { className: 'mono', text: e.vendorEventId ?? `outbox ${e.outboxId}` }),
        el('span', {
          className: 'muted small',
          text: ` · ${when(e.receivedAt)} · outbox ${e.outboxId}${e.payloadKept ? '' : ' · payload purged'}`,
        }),
      ),
    ),
  );
}

// ---------------------------------------------------------------- pipeline health

async function loadPipeline() {
  if (!keys.admin) return needAdmin('pipeline-status', 'pipeline-body', 'pipeline');
  setState('pipeline', 'loading');
  try {
    const s = await api('/outbox/stats', { admin: true });
    clearStatus('pipeline-status');
    const c = s.counts;
    const lagTone =
      s.oldestQueuedAgeS === null ? '' : s.oldestQueuedAgeS > 300 ? 'bad' : s.oldestQueuedAgeS > 60 ? 'warn' : '';
    const sources = Object.entries(s.bySource ?? {});
    $('pipeline-body').replaceChildren(
      el(
        'div',
        { className: 'totals' },
        stat('Queued', count(c.queued), { testid: 'stat-queued' }),
        stat('Backlog age', age(s.oldestQueuedAgeS), {
          testid: 'stat-backlog-age',
          tone: lagTone,
          sub: 'oldest queued event',
        }),
        stat('Running', count(c.running), { testid: 'stat-running' }),
        stat('Retrying', count(c.error), {
          testid: 'stat-error',
          tone: c.error ? 'warn' : '',
          sub: s.nextRetryAt ? `next ${when(s.nextRetryAt)}` : undefined,
        }),
        stat('Dead', count(s.deadCount), { testid: 'stat-dead', tone: s.deadCount ? 'bad' : '' }),
        stat('Done', count(c.done), {
          testid: 'stat-done',
          sub: `${count(c.ignored)} ignored · ${count(s.total)} total`,
        }),
      ),
      s.orphans
        ? el('p', {
            className: 'muted small',
            'data-testid': 'stat-orphans',
            text: `Refunds waiting for their charge: ${count(s.orphans.unreconciled)} open, ${count(s.orphans.givenUp)} given up${s.orphans.oldestAgeS !== null && s.orphans.oldestAgeS !== undefined ? `, oldest ${age(s.orphans.oldestAgeS)}` : ''}.`,
          })
        : null,
      table(
        [
          'Source',
          ...['Queued', 'Running', 'Retrying', 'Dead', 'Done', 'Ignored'].map((text) => ({ text, className: 'num' })),
        ],
        sources.map(([source, n]) =>
          el(
            'tr',
            { 'data-source': source },
            td(source),
            num(count(n.queued)),
            num(count(n.running)),
            num(count(n.error)),
            num(count(n.dead)),
            num(count(n.done)),
            num(count(n.ignored)),
          ),
        ),
      ),
    );
    setState('pipeline', 'ready');
  } catch (err) {
    $('pipeline-body').replaceChildren();
    setState('pipeline', showError('pipeline-status', err, 'Queue statistics'));
  }
}

// ---------------------------------------------------------------- dead letters

async function loadDead(before = null) {
  if (!keys.admin) return needAdmin('dead-status', 'dead-body', 'dead');
  setState('dead', 'loading');
  try {
    const q = new URLSearchParams({ limit: '25' });
    if (before) q.set('before', before);
    const page = await api(`/outbox/dead?${q}`, { admin: true });
    clearStatus('dead-status');
    const rows = page.events.map((e) =>
      el(
        'tr',
        { 'data-id': e.id },
        td(e.id, { className: 'mono' }),
        td(e.source),
        el('td', {}, e.kind, el('div', { className: 'muted small', text: e.eventType })),
        el(
          'td',
          { className: 'err', title: e.dedupeKey },
          el('strong', { text: e.failureClass ?? 'unclassified' }),
          e.lastError ? el('div', { text: e.lastError }) : null,
        ),
        num(count(e.attempts)),
        timeCell(e.deadAt),
        el(
          'td',
          {},
          el('button', {
            type: 'button',
            className: 'small',
            'data-action': 'redrive',
            text: 'Redrive',
            onclick: (ev) => redrive(e.id, ev.currentTarget),
          }),
        ),
      ),
    );
    if (!before) {
      if (page.events.length === 0) {
        $('dead-body').replaceChildren(
          el('p', { className: 'muted', 'data-testid': 'dead-empty', text: 'No dead letters.' }),
        );
      } else {
        $('dead-body').replaceChildren(
          el(
            'div',
            { className: 'table-wrap' },
            table(
              [
                'Id',
                'Source',
                'Kind',
                'Failure and last error',
                { text: 'Attempts', className: 'num' },
                'Dead since',
                '',
              ],
              rows,
            ),
          ),
          el('div', { id: 'dead-more' }),
        );
      }
    } else {
      $('dead-body')
        .querySelector('tbody')
        ?.append(...rows);
    }
    const more = $('dead-more');
    if (more)
      more.replaceChildren(
        page.nextBefore
          ? el('button', {
              type: 'button',
              className: 'secondary',
              text: 'Older',
              onclick: () => loadDead(page.nextBefore),
            })
          : '',
      );
    setState('dead', 'ready');
  } catch (err) {
    if (!before) $('dead-body').replaceChildren();
    setState('dead', showError('dead-status', err, 'Dead letters'));
  }
}

async function redrive(id, button) {
  button.disabled = true;
  button.textContent = 'Redriving…';
  try {
    const r = await api(`/outbox/dead/${encodeURIComponent(id)}/redrive`, { admin: true, method: 'POST' });
    showStatus('dead-action', 'ok', `Event ${r.id} is ${r.status} again (${r.requeued} requeued).`);
    await Promise.all([loadDead(), loadPipeline()]);
  } catch (err) {
    button.disabled = false;
    button.textContent = 'Redrive';
    showError('dead-action', err, 'Redrive');
  }
}

// ---------------------------------------------------------------- runs

const runs = { seq: 0, timers: [] };

async function loadRuns() {
  const seq = ++runs.seq;
  setState('runs', 'loading');
  try {
    const page = await api('/runs?limit=20');
    if (seq !== runs.seq) return;
    clearStatus('runs-status');
    const rows = page.runs.map((r) => {
      const c = r.counts ?? {};
      const error = typeof r.error === 'string' ? r.error : r.error ? JSON.stringify(r.error) : null;
      return el(
        'tr',
        { 'data-run-id': r.runId },
        td(r.runId, { className: 'mono' }),
        td(r.source),
        td(r.entity),
        td(r.mode),
        el('td', {}, badge(r.status)),
        td(r.trigger ?? '–'),
        timeCell(r.startedAt ?? r.createdAt),
        td(
          r.finishedAt && r.startedAt
            ? `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`
            : '–',
        ),
        num(`${count(c.recordsFetched)} / ${count(c.recordsUpserted)}`),
        num(count(c.recordsFailed)),
        td(error ?? (r.staleCursorDetected ? 'stale cursor: full backfill' : ''), { className: error ? 'err' : '' }),
      );
    });
    $('runs-body').replaceChildren(
      page.runs.length === 0
        ? el('p', { className: 'muted', text: 'No runs yet.' })
        : el(
            'div',
            { className: 'table-wrap' },
            table(
              [
                'Run',
                'Source',
                'Entity',
                'Mode',
                'Status',
                'Trigger',
                'Started',
                'Took',
                { text: 'Fetched / upserted', className: 'num' },
                { text: 'Failed', className: 'num' },
                'Error',
              ],
              rows,
            ),
          ),
    );
    setState('runs', 'ready');
  } catch (err) {
    if (seq !== runs.seq) return;
    $('runs-body').replaceChildren();
    setState('runs', showError('runs-status', err, 'Runs'));
  }
}

async function triggerRun(event) {
  event.preventDefault();
  const source = $('trigger-source').value;
  const mode = $('trigger-mode').value;
  if (!keys.admin) {
    showStatus('trigger-status', 'error', 'Triggering a run needs the admin key: enter it above and press Connect.');
    return;
  }
  const button = $('trigger-button');
  button.disabled = true;
  try {
    const r = await api(`/trigger/${encodeURIComponent(source)}/${encodeURIComponent(mode)}`, {
      admin: true,
      method: 'POST',
    });
    const ids = r.runIds?.length > 1 ? ` (runs ${r.runIds.join(', ')})` : '';
    $('trigger-status').replaceChildren(
      el('p', {
        className: 'msg ok',
        'data-testid': 'trigger-result',
        'data-run-id': r.runId,
        text: `Run ${r.runId} ${r.status}: ${r.source} ${r.mode}${ids}.`,
      }),
    );
    await loadRuns();
    // The run works in the background: look again so its outcome shows without a click.
    for (const t of runs.timers) clearTimeout(t);
    runs.timers = [1500, 5000].map((ms) => setTimeout(loadRuns, ms));
  } catch (err) {
    showError('trigger-status', err, 'Trigger');
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- alerts (CONTRACT "Alerts")

async function loadAlerts() {
  if (!keys.admin) return needAdmin('alerts-status', 'alerts-body', 'alerts');
  setState('alerts', 'loading');
  try {
    const q = new URLSearchParams({ limit: '50' });
    const state = $('alerts-state').value;
    if (state) q.set('state', state);
    $('alerts').dataset.query = q.toString();
    const data = await api(`/alerts?${q}`, { admin: true });
    clearStatus('alerts-status');
    const rows = (data.alerts ?? []).map((a) =>
      el(
        'tr',
        { 'data-alert-id': a.alertId },
        td(a.condition),
        el('td', {}, badge(a.severity)),
        el('td', {}, badge(a.state)),
        td(a.summary),
        timeCell(a.firedAt),
        timeCell(a.resolvedAt),
      ),
    );
    $('alerts-body').replaceChildren(
      rows.length === 0
        ? el('p', { className: 'muted', text: state ? `No ${state} alerts.` : 'No alerts.' })
        : el(
            'div',
            { className: 'table-wrap' },
            table(['Condition', 'Severity', 'State', 'Summary', 'Fired', 'Resolved'], rows),
          ),
    );
    setState('alerts', 'ready');
  } catch (err) {
    $('alerts-body').replaceChildren();
    setState('alerts', showError('alerts-status', err, 'Alerts'));
  }
}

// ---------------------------------------------------------------- reconciliation (CONTRACT "Reconciliation")

async function loadReconciliation(cursor = null) {
  setState('reconciliation', 'loading');
  const q = new URLSearchParams({ source: $('recon-source').value });
  // The revenue filter's dates, else the range the revenue report resolved to.
  const startDate = $('f-start').value || revenue.daily?.startDate;
  const endDate = $('f-end').value || revenue.daily?.endDate;
  if (startDate) q.set('startDate', startDate);
  if (endDate) q.set('endDate', endDate);
  q.set('tz', $('f-tz').value.trim() || 'UTC');
  if (cursor) q.set('cursor', cursor);
  else $('reconciliation').dataset.query = q.toString();
  try {
    const r = await api(`/reconciliation?${q}`);
    clearStatus('recon-status');
    const t = r.totals ?? {};
    const missed = (r.missedWebhooks ?? []).map((m) =>
      el('tr', {}, td(m.objectType), td(m.externalId, { className: 'mono' }), timeCell(m.firstPolledAt)),
    );
    if (cursor) {
      $('recon-missed')
        ?.querySelector('tbody')
        ?.append(...missed);
    } else {
      const days = (r.days ?? []).map((d) =>
        el(
          'tr',
          { 'data-date': d.date },
          td(d.date),
          num(count(d.both)),
          num(count(d.webhookOnly)),
          num(count(d.pollOnly)),
          num(count(d.pending)),
        ),
      );
      $('recon-body').replaceChildren(
        el(
          'div',
          { className: 'totals' },
          stat('Webhook and poll', count(t.both), { testid: 'recon-both' }),
          stat('Webhook only', count(t.webhookOnly), { testid: 'recon-webhook-only', sub: 'not yet seen by a poll' }),
          stat('Missed webhooks', count(t.pollOnly), {
            testid: 'recon-poll-only',
            tone: t.pollOnly ? 'bad' : '',
            sub: `poll only, after ${r.graceS ?? '?'} s grace`,
          }),
          stat('Pending', count(t.pending), { testid: 'recon-pending', sub: 'inside the grace window' }),
        ),
        r.orphans
          ? el('p', {
              className: 'muted small',
              text: `Orphans: ${count(r.orphans.open)} open, ${count(r.orphans.linked)} linked, ${count(r.orphans.givenUp)} given up.`,
            })
          : null,
        el('p', {
          className: 'muted small',
          text: `${r.source} · ${r.startDate ?? '–'} → ${r.endDate ?? '–'} · ${r.tz}`,
        }),
        days.length
          ? el(
              'details',
              {},
              el('summary', { text: 'By day' }),
              el(
                'div',
                { className: 'table-wrap' },
                table(
                  [
                    'Day',
                    ...['Both', 'Webhook only', 'Poll only', 'Pending'].map((text) => ({ text, className: 'num' })),
                  ],
                  days,
                ),
              ),
            )
          : null,
        el('div', { className: 'subhead', text: 'Missed webhooks' }),
        missed.length
          ? el(
              'div',
              { className: 'table-wrap', id: 'recon-missed' },
              table(['Object', 'External id', 'First polled'], missed),
            )
          : el('p', { className: 'muted', text: 'None.' }),
        el('div', { id: 'recon-more' }),
      );
    }
    const more = $('recon-more');
    if (more)
      more.replaceChildren(
        r.nextCursor
          ? el('button', {
              type: 'button',
              className: 'secondary',
              text: 'More missed webhooks',
              onclick: () => loadReconciliation(r.nextCursor),
            })
          : '',
      );
    setState('reconciliation', 'ready');
  } catch (err) {
    if (!cursor) $('recon-body').replaceChildren();
    setState('reconciliation', showError('recon-status', err, 'The reconciliation report'));
  }
}

// ---------------------------------------------------------------- wiring

const SECTIONS = [
  ['revenue', 'revenue-status'],
  ['pipeline', 'pipeline-status', 'pipeline-body'],
  ['dead', 'dead-status', 'dead-body'],
  ['runs', 'runs-status', 'runs-body'],
  ['alerts', 'alerts-status', 'alerts-body'],
  ['reconciliation', 'recon-status', 'recon-body'],
];

async function loadAll() {
  bannerLines.clear();
  renderBanner();
  for (const id of ['dead-action', 'trigger-status']) clearStatus(id);
  $('trace').hidden = true;
  if (!keys.api && !keys.admin) {
    clearRevenue();
    for (const [section, status, body] of SECTIONS) {
      if (body) $(body).replaceChildren();
      showStatus(status, 'info', 'Enter the API key above and press Connect.');
      setState(section, 'need-key');
    }
    return;
  }
  // Revenue first: reconciliation falls back to the range it resolves.
  await Promise.all([
    loadRevenue().then(() => loadReconciliation()),
    loadPipeline(),
    loadDead(),
    loadRuns(),
    loadAlerts(),
  ]);
}

function syncUrl() {
  const q = filterParams();
  history.replaceState(null, '', q.toString() ? `${location.pathname}?${q}` : location.pathname);
}

async function start() {
  // Links like /dashboard?startDate=2026-06-01&tz=Europe/Paris open on that view.
  const params = new URLSearchParams(location.search);
  const inputs = { startDate: 'f-start', endDate: 'f-end', tz: 'f-tz', source: 'f-source' };
  for (const [name, id] of Object.entries(inputs)) if (params.get(name)) $(id).value = params.get(name);
  if (params.get('currency')) {
    const c = params.get('currency').toUpperCase();
    $('f-currency').replaceChildren(el('option', { value: c, text: c }));
  }
  try {
    $('tz-list').replaceChildren(...Intl.supportedValuesOf('timeZone').map((z) => el('option', { value: z })));
  } catch {
    // Older browsers: the zone is typed by hand and the API validates it.
  }
  const myZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  $('f-my-tz').textContent = `my zone (${myZone})`;
  $('f-my-tz').addEventListener('click', () => {
    $('f-tz').value = myZone;
    $('filters').requestSubmit();
  });

  $('api-key').value = keys.api;
  $('admin-key').value = keys.admin;
  $('keys-form').addEventListener('submit', (e) => {
    e.preventDefault();
    keys.api = $('api-key').value.trim();
    keys.admin = $('admin-key').value.trim();
    for (const [k, v] of Object.entries(keys))
      v ? sessionStorage.setItem(STORE[k], v) : sessionStorage.removeItem(STORE[k]);
    loadAll();
  });
  $('forget').addEventListener('click', () => {
    keys.api = keys.admin = '';
    sessionStorage.removeItem(STORE.api);
    sessionStorage.removeItem(STORE.admin);
    $('api-key').value = $('admin-key').value = '';
    loadAll();
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    syncUrl();
    if (!keys.api && !keys.admin) return;
    $('trace').hidden = true;
    loadRevenue().then(() => loadReconciliation());
  });
  for (const id of ['f-currency', 'f-source']) $(id).addEventListener('change', () => $('filters').requestSubmit());
  $('trace-close').addEventListener('click', () => {
    $('trace').hidden = true;
    for (const tr of document.querySelectorAll('tr.selected')) tr.classList.remove('selected');
  });
  $('pipeline-refresh').addEventListener('click', () => loadPipeline());
  $('dead-refresh').addEventListener('click', () => {
    clearStatus('dead-action');
    loadDead();
  });
  $('runs-refresh').addEventListener('click', () => loadRuns());
  $('trigger-form').addEventListener('submit', triggerRun);
  $('alerts-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadAlerts();
  });
  $('alerts-state').addEventListener('change', () => loadAlerts());
  $('recon-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadReconciliation();
  });
  $('recon-source').addEventListener('change', () => loadReconciliation());

  try {
    const res = await fetch('/dashboard/assets/currency-exponents.json');
    if (res.ok) EXPONENTS = await res.json();
  } catch {
    // Every currency then formats with two decimals, which is right for most of them.
  }
  await loadAll();
  document.body.dataset.ready = 'true';
}

start();
