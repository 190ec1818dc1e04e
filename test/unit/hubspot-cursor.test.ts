import { describe, expect, it } from 'vitest';
import {
  decide,
  forwardQuery,
  parseCursor,
  tieQuery,
  toCursor,
  type Position,
} from '../../src/connectors/hubspot/hubspot.cursor.js';
import { ENTITY_SPECS } from '../../src/connectors/hubspot/hubspot.types.js';
import type { HubspotObject } from '../../src/connectors/hubspot/hubspot.types.js';

const spec = ENTITY_SPECS.deals;
const obj = (id: number, ms: number): HubspotObject => ({
  id: String(id),
  properties: { hs_lastmodifieddate: new Date(ms).toISOString(), hs_object_id: String(id) },
  createdAt: null,
  updatedAt: null,
  archived: false,
  archivedAt: null,
});
const pos = (ms: number, id: number): Position => ({ ms, id: BigInt(id) });

describe('HubSpot incremental cursor', () => {
  it('round-trips and refuses anything that is not a position (e.g. a list after-token)', () => {
    const c = toCursor(pos(1781000000123, 42));
    expect(c).toEqual({ v: 1, lastModified: '2026-06-09T10:13:20.123Z', lastId: '42' });
    expect(parseCursor(c)).toEqual(pos(1781000000123, 42));
    expect(parseCursor({ after: 'NTI1Cg==' })).toBeNull();
    expect(parseCursor('12345')).toBeNull();
    expect(parseCursor({ v: 1, lastModified: 'yesterday', lastId: '1' })).toBeNull();
    expect(parseCursor(null)).toBeNull();
  });

  it('queries (modified = T AND id > I) OR modified > T, one sort, no offset', () => {
    const q = forwardQuery(spec, pos(1000, 7), 200);
    expect(q.filterGroups).toEqual([
      {
        filters: [
          { propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: '1000' },
          { propertyName: 'hs_object_id', operator: 'GT', value: '7' },
        ],
      },
      { filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GT', value: '1000' }] },
    ]);
    expect(q.sorts).toEqual([{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }]);
    expect(q.after).toBeUndefined();
    expect(tieQuery(ENTITY_SPECS.contacts, pos(1000, 7), 50).sorts).toEqual([
      { propertyName: 'hs_object_id', direction: 'ASCENDING' },
    ]);
    expect(tieQuery(ENTITY_SPECS.contacts, pos(1000, 7), 50).filterGroups[0].filters[0].propertyName).toBe(
      'lastmodifieddate',
    );
  });

  it('a short forward page is complete: emit all, stop at the last (time, max id)', () => {
    const d = decide('forward', pos(1000, 0), [obj(5, 1001), obj(9, 1002), obj(3, 1002)], 10, spec);
    expect(d).toEqual({ emit: expect.any(Array), next: pos(1002, 9), then: 'done' });
    expect(d.emit).toHaveLength(3);
  });

  it('a full page holds back the objects at its last millisecond and continues from that millisecond', () => {
    const page = [obj(1, 1001), obj(2, 1002), obj(8, 1003), obj(4, 1003)];
    const d = decide('forward', pos(1000, 0), page, 4, spec);
    expect(d.emit.map((o) => o.id)).toEqual(['1', '2']);
    expect(d.next).toEqual(pos(1003, 0));
    expect(d.then).toBe('forward');
  });

  it('a full page entirely at one later millisecond switches to id-ordered tie paging there', () => {
    expect(decide('forward', pos(1000, 0), [obj(9, 1003), obj(2, 1003)], 2, spec)).toEqual({
      emit: [],
      next: pos(1003, 0),
      then: 'ties',
    });
  });

  it('a full page entirely at the cursor millisecond continues the ties from the cursor id', () => {
    const d = decide('forward', pos(1000, 5), [obj(9, 1000), obj(7, 1000)], 2, spec);
    expect(d.emit).toEqual([]);
    expect(d.next).toEqual(pos(1000, 5));
    expect(d.then).toBe('ties');
  });

  it('tie pages advance by id and return to forward when short', () => {
    expect(decide('ties', pos(1000, 5), [obj(6, 1000), obj(7, 1000)], 2, spec)).toMatchObject({
      next: pos(1000, 7),
      then: 'ties',
    });
    expect(decide('ties', pos(1000, 7), [obj(8, 1000)], 2, spec)).toMatchObject({
      next: pos(1000, 8),
      then: 'forward',
    });
    expect(decide('ties', pos(1000, 8), [], 2, spec)).toMatchObject({ next: pos(1000, 8), then: 'forward' });
  });

  it('an empty forward page leaves the position unchanged', () => {
    expect(decide('forward', pos(1000, 3), [], 10, spec)).toEqual({ emit: [], next: pos(1000, 3), then: 'done' });
  });
});
