import { describe, expect, it } from 'vitest';
import { ObjectSerializer } from '@hubspot/api-client/lib/codegen/crm/pipelines/models/ObjectSerializer.js';
import { ConfigError, loadConfig } from '../../src/config/app.config.js';
import {
  changedStages,
  effectiveClasses,
  mapDealStage,
  StageClassifier,
} from '../../src/connectors/hubspot/deal-stage.map.js';
import { HubspotInvalidPayload } from '../../src/connectors/hubspot/hubspot.errors.js';
import { mapDeal, toHubspotObject } from '../../src/connectors/hubspot/hubspot.mappers.js';
import { classifyStage, mapPipelines } from '../../src/connectors/hubspot/hubspot-pipelines.mapper.js';

/**
 * GET /crm/v3/pipelines/deals as HubSpot sends it: metadata values are strings, stage ids of
 * custom pipelines are numeric strings, archived stages carry archivedAt.
 */
const WIRE = {
  results: [
    {
      label: 'Sales Pipeline',
      displayOrder: 0,
      id: 'default',
      stages: [
        {
          label: 'Appointment Scheduled',
          displayOrder: 0,
          metadata: { isClosed: 'false', probability: '0.2' },
          id: 'appointmentscheduled',
          createdAt: '1970-01-01T00:00:00Z',
          updatedAt: '1970-01-01T00:00:00Z',
          archived: false,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
        },
        {
          label: 'Contract Sent',
          displayOrder: 4,
          metadata: { isClosed: 'false', probability: '0.9' },
          id: 'contractsent',
          createdAt: '1970-01-01T00:00:00Z',
          updatedAt: '1970-01-01T00:00:00Z',
          archived: false,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
        },
        {
          label: 'Closed Won',
          displayOrder: 5,
          metadata: { isClosed: 'true', probability: '1.0' },
          id: 'closedwon',
          createdAt: '1970-01-01T00:00:00Z',
          updatedAt: '1970-01-01T00:00:00Z',
          archived: false,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
        },
        {
          label: 'Closed Lost',
          displayOrder: 6,
          metadata: { isClosed: 'true', probability: '0.0' },
          id: 'closedlost',
          createdAt: '1970-01-01T00:00:00Z',
          updatedAt: '1970-01-01T00:00:00Z',
          archived: false,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
        },
      ],
      createdAt: '1970-01-01T00:00:00Z',
      updatedAt: '1970-01-01T00:00:00Z',
      archived: false,
    },
    {
      label: 'Renewals',
      displayOrder: 1,
      id: '705209413',
      stages: [
        {
          label: 'Renewal due',
          displayOrder: 0,
          metadata: { isClosed: 'false', probability: '0.5' },
          id: '1038553757',
          createdAt: '2024-03-04T10:15:00.123Z',
          updatedAt: '2024-03-04T10:15:00.123Z',
          archived: false,
        },
        {
          label: 'Renewed',
          displayOrder: 1,
          metadata: { isClosed: 'true', probability: '1.0' },
          id: '1038553758',
          createdAt: '2024-03-04T10:15:00.123Z',
          updatedAt: '2024-03-04T10:15:00.123Z',
          archived: false,
        },
        {
          label: 'Signed, awaiting payment',
          displayOrder: 2,
          metadata: { isClosed: 'true', probability: '0.9' },
          id: '1038553760',
          createdAt: '2024-03-04T10:15:00.123Z',
          updatedAt: '2024-03-04T10:15:00.123Z',
          archived: false,
        },
        {
          label: 'Not renewed',
          displayOrder: 3,
          metadata: { isClosed: 'true', probability: '0.0' },
          id: '1038553759',
          createdAt: '2024-03-04T10:15:00.123Z',
          updatedAt: '2024-03-04T10:15:00.123Z',
          archived: false,
        },
        {
          label: 'Won (legacy)',
          displayOrder: 4,
          metadata: { isClosed: 'true', probability: '1.0' },
          id: '1038560004',
          createdAt: '2024-03-04T10:15:00.123Z',
          updatedAt: '2025-09-30T12:00:00.000Z',
          archived: true,
          archivedAt: '2025-09-30T12:00:00.000Z',
        },
      ],
      createdAt: '2024-03-04T10:15:00.123Z',
      updatedAt: '2024-03-04T10:15:00.123Z',
      archived: false,
    },
  ],
};

/** What `client.crm.pipelines.pipelinesApi.getAll('deals')` resolves to: class instances with Dates. */
const sdkAnswer = () => ObjectSerializer.deserialize(structuredClone(WIRE), 'CollectionResponsePipelineNoPaging', '');

describe('classifyStage (closed + 1.0 won, closed + 0.0 lost, anything else open)', () => {
  it.each([
    [true, 1, 'won'],
    [true, 0, 'lost'],
    [true, 0.9, 'open'],
    [true, 0.1, 'open'],
    [false, 1, 'open'],
    [false, 0, 'open'],
    [false, 0.5, 'open'],
  ] as const)('isClosed %s, probability %s → %s', (closed, p, cls) => {
    expect(classifyStage(closed, p)).toBe(cls);
  });
});

describe('mapPipelines', () => {
  it.each([
    ['the SDK answer (class instances, Dates)', sdkAnswer],
    ['the raw JSON', () => structuredClone(WIRE)],
  ])('reads every stage of %s with its classification', (_name, answer) => {
    const { stages, skipped } = mapPipelines(answer());
    expect(skipped).toEqual([]);
    expect(stages.map((s) => [s.stageId, s.pipelineId, s.metadataClass, s.probability, s.archived])).toEqual([
      ['appointmentscheduled', 'default', 'open', '0.2', false],
      ['contractsent', 'default', 'open', '0.9', false],
      ['closedwon', 'default', 'won', '1.0', false],
      ['closedlost', 'default', 'lost', '0.0', false],
      ['1038553757', '705209413', 'open', '0.5', false],
      ['1038553758', '705209413', 'won', '1.0', false],
      ['1038553760', '705209413', 'open', '0.9', false],
      ['1038553759', '705209413', 'lost', '0.0', false],
      ['1038560004', '705209413', 'won', '1.0', true],
    ]);
    expect(stages[5]).toMatchObject({ pipelineLabel: 'Renewals', label: 'Renewed', displayOrder: 1, isClosed: true });
  });

  it('an archived pipeline archives all its stages; they keep their classification', () => {
    const answer = structuredClone(WIRE);
    answer.results[1].archived = true;
    const { stages } = mapPipelines(answer);
    const renewals = stages.filter((s) => s.pipelineId === '705209413');
    expect(renewals.every((s) => s.archived)).toBe(true);
    expect(renewals.find((s) => s.stageId === '1038553758')?.metadataClass).toBe('won');
  });

  it('accepts the boolean/number metadata older surfaces sent', () => {
    const answer = structuredClone(WIRE) as any;
    answer.results[1].stages[1].metadata = { isClosed: true, probability: 1 };
    expect(mapPipelines(answer).stages.find((s: { stageId: string }) => s.stageId === '1038553758')).toMatchObject({
      metadataClass: 'won',
      probability: '1',
    });
  });

  it('skips a malformed stage with its reason and keeps every other one', () => {
    const answer = structuredClone(WIRE) as any;
    const stages = answer.results[1].stages;
    stages.push(
      { label: 'no id', displayOrder: 9, metadata: { isClosed: 'true', probability: '1.0' } },
      { id: '1038553770', label: 'no metadata', displayOrder: 10 },
      {
        id: '1038553771',
        label: 'closed maybe',
        displayOrder: 11,
        metadata: { isClosed: 'maybe', probability: '1.0' },
      },
      { id: '1038553772', label: 'percent', displayOrder: 12, metadata: { isClosed: 'true', probability: '100' } },
      { id: '1038553773', label: 'words', displayOrder: 13, metadata: { isClosed: 'false', probability: 'high' } },
      { id: 'closedwon', label: 'duplicate id', displayOrder: 14, metadata: { isClosed: 'true', probability: '0.0' } },
      null,
    );
    answer.results.push({ label: 'no id', stages: [] }, { id: '705209499', label: 'no stages' });
    const { stages: got, skipped } = mapPipelines(answer);
    expect(got).toHaveLength(9);
    expect(got.find((s) => s.stageId === 'closedwon')?.metadataClass).toBe('won');
    expect(skipped.map((s) => [s.pipelineId, s.stageId])).toEqual([
      ['705209413', null],
      ['705209413', '1038553770'],
      ['705209413', '1038553771'],
      ['705209413', '1038553772'],
      ['705209413', '1038553773'],
      ['705209413', 'closedwon'],
      ['705209413', null],
      [null, null],
      ['705209499', null],
    ]);
    expect(skipped[1].reason).toMatch(/isClosed/);
    expect(skipped[3].reason).toMatch(/probability is "100"/);
    expect(skipped[5].reason).toMatch(/already listed/);
  });

  it('an answer without results is reported, not read as "no pipelines"', () => {
    expect(mapPipelines({})).toEqual({
      stages: [],
      skipped: [{ pipelineId: null, stageId: null, reason: 'the answer has no results array' }],
    });
  });
});

describe('stage classifier', () => {
  const stages = mapPipelines(structuredClone(WIRE)).stages;

  it('knows the default pipeline before HubSpot has answered, and nothing else', () => {
    const c = StageClassifier.builtin;
    expect(
      ['closedwon', 'closedlost', 'contractsent', '1038553758', 'toString', '', 'ClosedWon'].map((s) => c.classOf(s)),
    ).toEqual(['won', 'lost', 'open', 'unknown', 'unknown', 'unknown', 'unknown']);
    expect(mapDealStage('1038553758')).toEqual({ status: 'UNKNOWN', effect: 'none' });
  });

  it('metadata wins over the built-in default pipeline, HUBSPOT_STAGE_MAP wins over both', () => {
    const edited = stages.map((s) => (s.stageId === 'contractsent' ? { ...s, metadataClass: 'won' as const } : s));
    const c = new StageClassifier(
      3,
      effectiveClasses(edited, { '1038553760': 'won', closedwon: 'open', '555': 'lost' }),
    );
    expect(c.rev).toBe(3);
    expect(['contractsent', '1038553760', 'closedwon', '555', '1038560004', '999'].map((s) => c.classOf(s))).toEqual([
      'won',
      'won',
      'open',
      'lost',
      'won',
      'unknown',
    ]);
    expect(c.mapping('1038553760')).toEqual({ status: 'SUCCEEDED', effect: 'gross' });
    expect(c.mapping('555')).toEqual({ status: 'LOST', effect: 'none' });
    expect(c.mapping('999')).toEqual({ status: 'UNKNOWN', effect: 'none' });
  });

  it('changedStages lists exactly the ids whose class moved (unknown counts as a class)', () => {
    const before = effectiveClasses([], {});
    const after = effectiveClasses(stages, { closedlost: 'lost', '42': 'open' });
    expect(changedStages(before, after)).toEqual([
      '1038553757',
      '1038553758',
      '1038553759',
      '1038553760',
      '1038560004',
      '42',
    ]);
    expect(changedStages(after, after)).toEqual([]);
    expect(changedStages(after, effectiveClasses(stages, {}))).toEqual(['42']);
  });

  it('mapDeal: a deal in a custom won stage is gross on its closedate, strictly validated', () => {
    const c = new StageClassifier(1, effectiveClasses(stages, {}));
    const deal = (props: Record<string, string | null>) =>
      toHubspotObject({
        id: '9000000555',
        properties: {
          amount: '2500.10',
          closedate: '2026-06-15T13:45:00.000Z',
          createdate: '2026-06-01T09:00:00.000Z',
          dealstage: '1038553758',
          pipeline: '705209413',
          deal_currency_code: 'EUR',
          hs_lastmodifieddate: '2026-06-16T08:00:00.000Z',
          ...props,
        },
        createdAt: '2026-06-01T09:00:00.000Z',
        updatedAt: '2026-06-16T08:00:00.000Z',
        archived: false,
      });
    expect(mapDeal(deal({}), 'USD', c)).toMatchObject({
      status: 'SUCCEEDED',
      effect: 'gross',
      amountCents: 250010n,
      currency: 'EUR',
      rawStatus: '1038553758',
    });
    expect(mapDeal(deal({}), 'USD', c).occurredAt.toISOString()).toBe('2026-06-15T13:45:00.000Z');
    expect(mapDeal(deal({ dealstage: '1038560004' }), 'USD', c)).toMatchObject({
      status: 'SUCCEEDED',
      effect: 'gross',
    });
    expect(mapDeal(deal({ dealstage: '1038553760' }), 'USD', c)).toMatchObject({ status: 'OPEN', effect: 'none' });
    expect(() => mapDeal(deal({ amount: 'abc' }), 'USD', c)).toThrow(HubspotInvalidPayload);
    // The same deal without the pipelines: counts nowhere, surfaces as unmapped.
    expect(mapDeal(deal({}), 'USD')).toMatchObject({ status: 'UNKNOWN', effect: 'none' });
  });
});

describe('HUBSPOT_STAGE_MAP', () => {
  const load = (v: string) => loadConfig({ NODE_ENV: 'test', HUBSPOT_STAGE_MAP: v }).hubspot.stageMap;

  it('is a JSON map from stage id to won|lost|open (case-insensitive), empty when unset', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).hubspot.stageMap).toEqual({});
    expect(load('{"1038553758":"won","closedlost":"LOST","contract_sent-2":" open "}')).toEqual({
      '1038553758': 'won',
      closedlost: 'lost',
      'contract_sent-2': 'open',
    });
    expect(load('{}')).toEqual({});
  });

  it.each([
    ['not JSON', '{1038553758: won}', /not valid JSON/],
    ['an array', '["won"]', /got an array/],
    ['a string', '"won"', /got "won"/],
    ['an unknown class', '{"1038553758":"maybe"}', /stage "1038553758" maps to "maybe"/],
    ['a non-string class', '{"1038553758":1}', /maps to 1/],
    ['a bad stage id', '{"closed won":"won"}', /"closed won" is not a stage id/],
  ])('refuses %s with one sentence naming the variable', (_name, v, detail) => {
    let err: unknown;
    try {
      load(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^HUBSPOT_STAGE_MAP must be a JSON object from deal stage id to "won", "lost" or "open"/);
    expect(msg).toMatch(detail);
    expect(msg.match(/\.(\s|$)/g)).toHaveLength(1);
  });

  it('HUBSPOT_PIPELINES_REFRESH_S defaults to 15 minutes and 0 turns the schedule off', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).hubspot.pipelinesRefreshS).toBe(900);
    expect(loadConfig({ NODE_ENV: 'test', HUBSPOT_PIPELINES_REFRESH_S: '0' }).hubspot.pipelinesRefreshS).toBe(0);
  });
});
