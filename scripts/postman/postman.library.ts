/**
 * The collection-level script of postman/buffalo.postman_collection.json: one `buffalo` object of
 * helpers that every request's pre-request and test scripts call (shapes from CONTRACT.md, money
 * invariants in BigInt, webhook signing). Postman and newman run a collection's scripts and a
 * request's scripts in one sandbox context, so an undeclared global defined here is visible there;
 * `pm` is not shared (each script gets its own), hence `buffaloFor(pm)` at the top of each script.
 *
 * Kept as text, not as a function's source: Function#toString would differ between tsc (docs:export)
 * and SWC (the drift test), and the collection must come out byte-identical from both.
 */

/**
 * Shape specs, written from CONTRACT.md (not derived from the OpenAPI document, so that a wrong
 * document cannot make the tests agree with it). A spec is:
 * - a type name: string, integer, count (integer ≥ 0), number, boolean, object, any (null too), cents (an
 *   integer number of minor units as a string, may be negative), cents+ (≥ 0), id (a positive
 *   integer as a string), date (YYYY-MM-DD, a real day), datetime (ISO 8601 with offset), currency;
 * - '=a|b|c': one of these strings;
 * - any of the above with a trailing '?': null is allowed too (the key must still be present);
 * - a JSON literal that is not a string (true, 1): exactly that value;
 * - [spec]: an array whose items all match spec;
 * - { key: spec }: an object with every key present (`key?` marks an optional key; '*' matches
 *   every key of a map). Keys the spec does not name are allowed: the contract only ever adds.
 */
type Spec = string | number | boolean | Spec[] | { [key: string]: Spec };

const SOURCE = '=stripe|hubspot|gcal';
const REVENUE_SOURCE = '=stripe|hubspot?';

const summary = {
  totalRevenueCents: 'cents',
  grossCents: 'cents+',
  refundsCents: 'cents+',
  currency: 'currency',
  count: 'count',
  refundCount: 'count',
  startDate: 'date?',
  endDate: 'date?',
  source: REVENUE_SOURCE,
  tz: 'string',
  currencies: ['currency'],
};
const bucket = { amountCents: 'cents', grossCents: 'cents+', refundsCents: 'cents+', count: 'count', refundCount: 'count' };
const run = {
  runId: 'id',
  source: SOURCE,
  entity: 'string',
  mode: '=incremental|full',
  status: '=queued|running|succeeded|partial|failed|skipped',
  trigger: '=manual|schedule|job|webhook',
  createdAt: 'datetime',
  startedAt: 'datetime?',
  finishedAt: 'datetime?',
  cursorBefore: 'any',
  cursorAfter: 'any',
  staleCursorDetected: 'boolean',
  fullBackfillTriggered: 'boolean',
  error: 'string?',
  errorClass: 'string?',
  counts: {
    pagesFetched: 'count',
    recordsFetched: 'count',
    recordsUpserted: 'count',
    recordsDeduped: 'count',
    recordsFailed: 'count',
  },
  unmappedStatusesSeen: ['string'],
};
const statusCounts = { queued: 'count', running: 'count', done: 'count', error: 'count', dead: 'count', ignored: 'count' };

/** A stored vendor event as the trace and the record endpoint list it (CONTRACT "Explain a figure"). */
const traceEvent: Spec = {
  outboxId: 'id',
  origin: '=webhook|poll|replay',
  vendorEventId: 'string?',
  type: 'string',
  receivedAt: 'datetime',
  payloadKept: 'boolean',
};

export const SHAPES: Record<string, Spec> = {
  Error: {
    error: 'string',
    message: 'string',
    requestId: 'string',
    'issues?': [{ in: '=query|params|body|header', field: 'string', message: 'string' }],
  },
  Healthz: { status: '=ok', uptimeS: 'count' },
  Readyz: {
    status: '=ok|degraded',
    syncStatus: '=healthy|degraded',
    checks: { db: { ok: 'boolean', latencyMs: 'number' }, '*': { ok: 'boolean' } },
    uptimeS: 'count',
  },
  Summary: summary,
  Daily: { ...summary, breakdown: [{ date: 'date', ...bucket }] },
  Weekly: { ...summary, breakdown: [{ weekStartDate: 'date', ...bucket }] },
  Collected: {
    totalCollectedCents: 'cents',
    txnCount: 'count',
    from: 'datetime',
    to: 'datetime',
    source: REVENUE_SOURCE,
    currency: 'currency',
  },
  Breakdown: {
    granularity: '=day|week|month',
    from: 'datetime',
    to: 'datetime',
    source: REVENUE_SOURCE,
    currency: 'currency',
    tz: 'string',
    buckets: [{ bucketStart: 'datetime', collectedCents: 'cents', txnCount: 'count' }],
    totalCollectedCents: 'cents',
    totalTxnCount: 'count',
  },
  Unmapped: {
    count: 'count',
    statuses: [{ source: SOURCE, rawStatus: 'string', count: 'count', sample: 'string?' }],
  },
  TriggerAccepted: { runId: 'id', source: SOURCE, mode: '=incremental|full', status: '=accepted', runIds: ['id'] },
  Run: run,
  RunList: { runs: [run], nextBefore: 'id?' },
  WebhookReceipt: { received: true, type: 'string', duplicate: 'boolean', 'stored?': 'count' },
  OutboxStats: {
    counts: statusCounts,
    total: 'count',
    deadCount: 'count',
    oldestQueuedAgeS: 'count?',
    nextRetryAt: 'datetime?',
    bySource: { stripe: statusCounts, hubspot: statusCounts, gcal: statusCounts },
    orphans: { unreconciled: 'count', givenUp: 'count', oldestAgeS: 'count?' },
  },
  DeadEvents: {
    events: [
      {
        id: 'id',
        source: SOURCE,
        kind: 'string',
        eventType: 'string',
        dedupeKey: 'string',
        origin: '=webhook|poll|replay',
        attempts: 'count',
        failureClass: 'string?',
        lastError: 'string?',
        receivedAt: 'datetime',
        deadAt: 'datetime?',
        vendorTime: 'datetime?',
      },
    ],
    nextBefore: 'id?',
  },
  Redrive: { id: 'id', status: '=queued', requeued: 1 },
  ReplayResult: {
    source: SOURCE,
    since: 'datetime',
    until: 'datetime',
    requeued: 'count',
    byStatus: { done: 'count', dead: 'count', ignored: 'count' },
  },
  Trace: {
    figure: { totalRevenueCents: 'cents', grossCents: 'cents+', refundsCents: 'cents+', count: 'count', refundCount: 'count' },
    rows: [
      {
        source: '=stripe|hubspot',
        kind: 'string',
        externalId: 'string',
        parentExternalId: 'string?',
        effect: '=gross|refund',
        amountCents: 'cents',
        currency: 'currency',
        occurredAt: 'datetime',
        status: 'string',
        rawStatus: 'string?',
        events: [traceEvent],
      },
    ],
    nextCursor: 'string?',
  },
  PaymentRecord: {
    source: '=stripe|hubspot',
    kind: '=charge|refund|dispute|deal',
    externalId: 'string',
    parentExternalId: 'string?',
    amountCents: 'cents+',
    currency: 'currency',
    occurredAt: 'datetime',
    status: 'string',
    rawStatus: 'string',
    effect: '=gross|refund|none',
    counted: 'boolean',
    deletedAt: 'datetime?',
    version: { at: 'datetime', rank: 'integer', tiebreak: 'string' },
    derivationRev: 'integer',
    outboxId: 'id?',
    createdAt: 'datetime',
    updatedAt: 'datetime',
    versions: [{ at: 'datetime', rank: 'integer', tiebreak: 'string', won: 'boolean', current: 'boolean', outboxIds: ['id'] }],
    events: [traceEvent],
  },
  Reconciliation: {
    source: SOURCE,
    startDate: 'date?',
    endDate: 'date?',
    tz: 'string',
    graceS: 'count',
    totals: { both: 'count', webhookOnly: 'count', pollOnly: 'count', pending: 'count' },
    days: [{ date: 'date', both: 'count', webhookOnly: 'count', pollOnly: 'count', pending: 'count' }],
    missedWebhooks: [{ objectType: 'string', externalId: 'string', firstPolledAt: 'datetime' }],
    orphans: { open: 'count', linked: 'count', givenUp: 'count' },
    nextCursor: 'string?',
  },
  ReconciliationSweep: { scanned: 'count', linked: 'count', givenUp: 'count' },
  Alerts: {
    alerts: [
      {
        alertId: 'string',
        condition:
          '=run_failed|dead_letters|outbox_lag|cursor_expired|orphan_given_up|missed_webhooks|metric_drift',
        state: '=firing|resolved',
        severity: '=warning|critical',
        summary: 'string',
        details: 'object',
        firedAt: 'datetime',
        resolvedAt: 'datetime?',
        text: 'string',
      },
    ],
    nextBefore: 'string?',
  },
  WatchResult: {
    channels: [{ calendarId: 'string', channelId: 'string', resourceId: 'string', expiration: 'datetime' }],
  },
};

const LIBRARY = String.raw`
// Buffalo's shared helpers (scripts/postman/postman.library.ts). Each script of a request starts with
// const buffalo = buffaloFor(pm): every script execution has its own pm, and a helper that set a
// header or a variable through another script's pm would change nothing.
buffaloFor = function (pm) {
  var SHAPES = __SHAPES__;
  var TYPES = {
    string: function (v) { return typeof v === 'string'; },
    integer: function (v) { return Number.isInteger(v); },
    count: function (v) { return Number.isInteger(v) && v >= 0; },
    number: function (v) { return typeof v === 'number' && isFinite(v); },
    boolean: function (v) { return typeof v === 'boolean'; },
    object: function (v) { return v !== null && typeof v === 'object' && !Array.isArray(v); },
    any: function () { return true; },
    cents: function (v) { return typeof v === 'string' && /^(0|-?[1-9][0-9]*)$/.test(v); },
    'cents+': function (v) { return typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v); },
    id: function (v) { return typeof v === 'string' && /^[1-9][0-9]*$/.test(v); },
    date: function (v) { return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(v + 'T00:00:00Z').toISOString().slice(0, 10) === v; },
    datetime: function (v) { return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !isNaN(Date.parse(v)); },
    currency: function (v) { return typeof v === 'string' && /^[A-Z]{3}$/.test(v); }
  };

  // Every place where value differs from spec, as "path: problem".
  function problems(value, spec, path, out) {
    if (Array.isArray(spec)) {
      if (!Array.isArray(value)) return out.push(path + ': expected an array, got ' + JSON.stringify(value));
      value.forEach(function (v, i) { problems(v, spec[0], path + '[' + i + ']', out); });
      return out;
    }
    if (spec !== null && typeof spec === 'object') {
      if (!TYPES.object(value)) return out.push(path + ': expected an object, got ' + JSON.stringify(value));
      Object.keys(spec).forEach(function (k) {
        if (k === '*') return;
        var optional = k.slice(-1) === '?';
        var key = optional ? k.slice(0, -1) : k;
        if (!(key in value)) { if (!optional) out.push(path + '.' + key + ': missing'); return; }
        problems(value[key], spec[k], path + '.' + key, out);
      });
      if ('*' in spec) Object.keys(value).forEach(function (k) { problems(value[k], spec['*'], path + '.' + k, out); });
      return out;
    }
    if (typeof spec !== 'string') {
      if (value !== spec) out.push(path + ': expected ' + JSON.stringify(spec) + ', got ' + JSON.stringify(value));
      return out;
    }
    var nullable = spec.slice(-1) === '?';
    var s = nullable ? spec.slice(0, -1) : spec;
    if (value === null) { if (!nullable && s !== 'any') out.push(path + ': null where ' + s + ' is required'); return out; }
    var ok = s.charAt(0) === '=' ? s.slice(1).split('|').indexOf(value) >= 0 : TYPES[s](value);
    if (!ok) out.push(path + ': expected ' + s + ', got ' + JSON.stringify(value));
    return out;
  }

  function body() {
    try { return pm.response.json(); } catch (e) { return undefined; }
  }

  var self = {
    SHAPES: SHAPES,
    problems: function (value, spec) { return problems(value, typeof spec === 'string' ? SHAPES[spec] : spec, '$', []); },

    // The response's status; the body is shown when it is not the expected one.
    status: function (code) {
      pm.test('status is ' + code, function () {
        pm.expect(pm.response.code, pm.response.text().slice(0, 500)).to.equal(code);
      });
    },

    // Asserts the shape of value (a named SHAPES entry or a spec).
    shape: function (name, value, spec) {
      pm.test(name + ' has the contract shape', function () {
        var found = self.problems(value, spec || name);
        pm.expect(found, found.slice(0, 5).join('; ')).to.eql([]);
      });
    },

    // A JSON answer with this status, an x-request-id, and the named shape; returns the body.
    ok: function (code, shape) {
      self.status(code);
      var b = body();
      pm.test('JSON body with an x-request-id header', function () {
        pm.expect(pm.response.headers.get('Content-Type') || '').to.match(/^application\/json/);
        pm.expect(b, 'body').to.be.an('object');
        pm.expect(pm.response.headers.get('x-request-id') || '').to.not.equal('');
      });
      if (shape) self.shape(shape, b);
      return b || {};
    },

    // An error per CONTRACT.md: {error, message, requestId (= x-request-id), …}; returns the body.
    fail: function (code, error, fields) {
      self.status(code);
      var b = body() || {};
      self.shape('Error', b);
      pm.test('error is ' + error, function () {
        pm.expect(b.error).to.equal(error);
        pm.expect(b.message).to.be.a('string').and.not.equal('');
        pm.expect(b.requestId).to.equal(pm.response.headers.get('x-request-id'));
        Object.keys(fields || {}).forEach(function (k) { pm.expect(b[k], k).to.eql(fields[k]); });
      });
      pm.test('no stack trace, SQL or driver text in the error', function () {
        pm.expect(pm.response.text()).to.not.match(/\bat [\w.<>]+ \(|node_modules|SELECT |INSERT |ECONNREFUSED/);
      });
      return b;
    },

    // 400 validation_failed whose issues name this field.
    invalid: function (where, field) {
      var b = self.fail(400, 'validation_failed');
      pm.test('issues[] names ' + where + ' ' + field, function () {
        pm.expect(b.issues).to.be.an('array').that.is.not.empty;
        pm.expect(b.issues.some(function (i) { return i.in === where && i.field === field; }), JSON.stringify(b.issues)).to.equal(true);
      });
      return b;
    },

    // Exact integer arithmetic on money strings.
    sum: function (list, field) {
      return list.reduce(function (acc, x) { return acc + BigInt(x[field]); }, BigInt(0));
    },
    addDays: function (date, n) {
      var d = new Date(date + 'T00:00:00Z');
      d.setUTCDate(d.getUTCDate() + n);
      return d.toISOString().slice(0, 10);
    },
    isMonday: function (date) { return new Date(date + 'T00:00:00Z').getUTCDay() === 1; },

    // totalRevenueCents = grossCents − refundsCents, exactly.
    netEqualsGrossMinusRefunds: function (b) {
      pm.test('totalRevenueCents = grossCents − refundsCents (BigInt)', function () {
        pm.expect(BigInt(b.totalRevenueCents) === BigInt(b.grossCents) - BigInt(b.refundsCents)).to.equal(true);
      });
      pm.test('currencies are distinct, upper case, alphabetical', function () {
        var sorted = b.currencies.slice().sort();
        pm.expect(b.currencies).to.eql(sorted.filter(function (c, i) { return sorted.indexOf(c) === i; }));
      });
    },

    // Dense, ascending buckets (key: date or weekStartDate) covering startDate..endDate that add up to the totals.
    bucketsAddUp: function (b, key) {
      var step = key === 'date' ? 1 : 7;
      var list = b.breakdown || [];
      self.netEqualsGrossMinusRefunds(b);
      pm.test('buckets add up exactly to the totals (gross, refunds, net, counts)', function () {
        pm.expect(String(self.sum(list, 'grossCents'))).to.equal(b.grossCents);
        pm.expect(String(self.sum(list, 'refundsCents'))).to.equal(b.refundsCents);
        pm.expect(String(self.sum(list, 'amountCents'))).to.equal(b.totalRevenueCents);
        pm.expect(list.reduce(function (a, x) { return a + x.count; }, 0)).to.equal(b.count);
        pm.expect(list.reduce(function (a, x) { return a + x.refundCount; }, 0)).to.equal(b.refundCount);
      });
      pm.test('every bucket: amountCents = grossCents − refundsCents', function () {
        list.forEach(function (x) {
          pm.expect(BigInt(x.amountCents) === BigInt(x.grossCents) - BigInt(x.refundsCents), x[key]).to.equal(true);
        });
      });
      pm.test('buckets are dense and ascending, ' + step + ' day(s) apart' + (step === 7 ? ', each on a Monday' : ''), function () {
        list.forEach(function (x, i) {
          if (step === 7) pm.expect(self.isMonday(x[key]), x[key] + ' is a Monday').to.equal(true);
          if (i > 0) pm.expect(x[key]).to.equal(self.addDays(list[i - 1][key], step));
        });
      });
      pm.test('buckets cover startDate..endDate', function () {
        if (b.startDate === null) return pm.expect(list).to.eql([]);
        pm.expect(list.length).to.be.above(0);
        var first = list[0][key], last = list[list.length - 1][key];
        pm.expect(first <= b.startDate && b.startDate < self.addDays(first, step), 'first bucket holds startDate').to.equal(true);
        pm.expect(last <= b.endDate && b.endDate < self.addDays(last, step), 'last bucket holds endDate').to.equal(true);
      });
    },

    // Reconciliation: the days add up to the totals, dense and ascending.
    reconciliationAddsUp: function (b) {
      pm.test('days add up to the totals (both, webhookOnly, pollOnly, pending)', function () {
        ['both', 'webhookOnly', 'pollOnly', 'pending'].forEach(function (k) {
          pm.expect(b.days.reduce(function (a, d) { return a + d[k]; }, 0), k).to.equal(b.totals[k]);
        });
      });
      pm.test('days are dense and ascending', function () {
        b.days.forEach(function (d, i) { if (i > 0) pm.expect(d.date).to.equal(self.addDays(b.days[i - 1].date, 1)); });
      });
    },

    // Trace: the rows (of every page) reproduce the figure to the cent.
    traceReproducesFigure: function (rows, figure) {
      pm.test('rows reproduce the figure to the cent (gross, refunds, net, counts)', function () {
        var abs = function (x) { return x < BigInt(0) ? -x : x; };
        var gross = rows.filter(function (r) { return r.effect === 'gross'; });
        var refunds = rows.filter(function (r) { return r.effect === 'refund'; });
        var g = gross.reduce(function (a, r) { return a + abs(BigInt(r.amountCents)); }, BigInt(0));
        var f = refunds.reduce(function (a, r) { return a + abs(BigInt(r.amountCents)); }, BigInt(0));
        pm.expect([String(g), String(f), String(g - f)]).to.eql([figure.grossCents, figure.refundsCents, figure.totalRevenueCents]);
        pm.expect([gross.length, refunds.length]).to.eql([figure.count, figure.refundCount]);
      });
    },

    // The runs (or events) of a keyset page are strictly newest first by their numeric id.
    descendingIds: function (list, field, label) {
      pm.test(label + ' are ordered newest first (ids strictly descending)', function () {
        list.forEach(function (x, i) {
          if (i > 0) pm.expect(BigInt(x[field]) < BigInt(list[i - 1][field]), x[field] + ' after ' + list[i - 1][field]).to.equal(true);
        });
      });
    },

    // Chained values live in collection variables: an environment never shadows them by accident.
    save: function (name, value) { pm.collectionVariables.set(name, value); },
    get: function (name) { return pm.variables.get(name); },
    // A variable that holds a real value, not an empty or "set-me" placeholder.
    configured: function (name) {
      var v = pm.variables.get(name);
      return typeof v === 'string' && v.trim() !== '' && !/^set-me/.test(v);
    },
    guid: function () { return pm.variables.replaceIn('{{$guid}}'); },

    // Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, over the body as sent.
    signStripe: function (opts) {
      opts = opts || {};
      var secret = opts.secret || String(pm.variables.get('stripeWebhookSecret') || '').split(',')[0].trim();
      var t = opts.t || Math.floor(Date.now() / 1000);
      var raw = pm.variables.replaceIn(pm.request.body.raw);
      var sig = CryptoJS.HmacSHA256(t + '.' + raw, secret).toString(CryptoJS.enc.Hex);
      pm.request.headers.upsert({ key: 'Stripe-Signature', value: 't=' + t + ',v1=' + sig });
    },

    // HubSpot v3: base64(HMAC-SHA256(clientSecret, method + URI + raw body + timestamp ms)). The URI is
    // hubspotWebhookUrl when set (the server's HUBSPOT_WEBHOOK_URL), else the URL requested, with the
    // escapes HubSpot decodes decoded (src/connectors/hubspot/hubspot.signature.ts).
    signHubspot: function (opts) {
      opts = opts || {};
      var secret = opts.secret || pm.variables.get('hubspotClientSecret');
      var ts = String(opts.timestamp || Date.now());
      var uri = self.configured('hubspotWebhookUrl') ? pm.variables.get('hubspotWebhookUrl') : pm.variables.replaceIn(pm.request.url.toString());
      uri = uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, function (m) { return decodeURIComponent(m); });
      var raw = pm.variables.replaceIn(pm.request.body.raw);
      var sig = CryptoJS.HmacSHA256(pm.request.method.toUpperCase() + uri + raw + ts, secret).toString(CryptoJS.enc.Base64);
      pm.request.headers.upsert({ key: 'X-HubSpot-Signature-v3', value: sig });
      pm.request.headers.upsert({ key: 'X-HubSpot-Request-Timestamp', value: ts });
    },

    // Polls GET path with the given key header until done(body) or timeoutMs, then calls next(body).
    poll: function (path, header, done, next, timeoutMs) {
      var deadline = Date.now() + (timeoutMs || 20000);
      (function attempt() {
        pm.sendRequest({
          url: pm.variables.replaceIn('{{baseUrl}}' + path),
          method: 'GET',
          header: header
        }, function (err, res) {
          var b = null;
          try { b = err ? null : res.json(); } catch (e) { b = null; }
          if (b && done(b)) return next(b);
          if (Date.now() > deadline) return next(b);
          setTimeout(attempt, 250);
        });
      })();
    }
  };

  return self;
};

// Dates relative to today (UTC) for requests that need a recent window.
if (pm.info.eventName === 'prerequest') {
  (function (b) {
    var today = new Date().toISOString().slice(0, 10);
    pm.variables.set('today', today);
    pm.variables.set('days30Ago', b.addDays(today, -29));
    pm.variables.set('days90Ago', b.addDays(today, -89));
    pm.variables.set('from30d', b.addDays(today, -29) + 'T00:00:00Z');
    pm.variables.set('toTomorrow', b.addDays(today, 1) + 'T00:00:00Z');
  })(buffaloFor(pm));
}
`;

/** The collection-level script, as Postman's `exec` lines. */
export function libraryLines(): string[] {
  return LIBRARY.replace('__SHAPES__', JSON.stringify(SHAPES)).trim().split('\n');
}
