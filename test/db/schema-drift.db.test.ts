import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createOrm } from '../../src/database/database.orm.js';
import { ENTITIES } from '../../src/database/database.entities.js';
import { createTestDatabase } from '../support/db.js';

/**
 * Migrations create the schema; entities describe it. They must agree, or the ORM reads and writes
 * columns that are not there (or not what it thinks). Every feature the migrations use (partial
 * indexes, INCLUDE columns, DESC keys, CHECK constraints, defaults) is expressible in the entities,
 * so one empty schema diff covers them; the diff's own blind spots are checked directly below.
 */
describe('schema: migrations and entities agree', () => {
  let orm: MikroORM;
  const exec = <T extends object = Record<string, unknown>>(sql: string) => orm.em.getConnection().execute<T[]>(sql);
  beforeAll(async () => {
    orm = await createOrm(await createTestDatabase(), 2);
  });
  afterAll(async () => orm?.close(true));

  it('every migrated table has an entity, and the ORM finds nothing to change', async () => {
    const tables = await exec<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'mikro_orm_migrations' ORDER BY 1`,
    );
    const entityTables = ENTITIES.map((e) => e.meta.tableName).sort();
    expect(tables.map((t) => t.tablename)).toEqual(entityTables);
    expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
  });

  /**
   * The diff treats json/jsonb, timestamp/timestamptz and varchar[]/text[] as the same type, so
   * compare each column's exact type: Postgres spells both sides (it parses the entity's column
   * types in a throwaway table), so aliases such as int/integer cannot make a false difference.
   */
  it('column types match exactly', async () => {
    const declared = [...orm.getMetadata().getAll().values()].flatMap((meta) =>
      meta.props
        .filter((p) => p.fieldNames?.length === 1)
        .map((p) => ({ column: `${meta.tableName}.${p.fieldNames[0]}`, type: p.columnTypes[0] })),
    );
    const spelled = await orm.em.fork().transactional(async (em) => {
      await em.execute(
        `CREATE TEMP TABLE entity_types (${declared.map((d, i) => `c${i} ${d.type}`).join(', ')}) ON COMMIT DROP`,
      );
      return em.execute<{ attname: string; type: string }[]>(
        `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'entity_types'::regclass AND attnum > 0`,
      );
    });
    const expected = Object.fromEntries(
      declared.map((d, i) => [d.column, spelled.find((s) => s.attname === `c${i}`)?.type]),
    );
    const actual = await exec<{ column: string; type: string }>(
      `SELECT c.relname || '.' || a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'mikro_orm_migrations' AND a.attnum > 0 AND NOT a.attisdropped`,
    );
    expect(Object.fromEntries(actual.map((r) => [r.column, r.type]))).toEqual(expected);
  });

  /**
   * The diff accepts a unique index where the entity declares a unique constraint. A partial unique
   * (with `where`) cannot be a constraint in Postgres: it must be a unique index with a predicate.
   */
  it('unique constraints are constraints', async () => {
    const uniques = ENTITIES.flatMap((e) =>
      (e.meta.uniques ?? []).map((u) => ({ name: `${e.meta.tableName}.${u.name}`, partial: u.where !== undefined })),
    );
    const declared = uniques
      .filter((u) => !u.partial)
      .map((u) => u.name)
      .sort();
    const rows = await exec<{ name: string }>(
      `SELECT conrelid::regclass || '.' || conname AS name FROM pg_constraint WHERE contype = 'u' AND connamespace = 'public'::regnamespace ORDER BY 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(declared);
    const partial = await exec<{ name: string }>(
      `SELECT i.indrelid::regclass || '.' || c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indisunique AND i.indpred IS NOT NULL AND c.relnamespace = 'public'::regnamespace ORDER BY 1`,
    );
    expect(partial.map((r) => r.name)).toEqual(
      uniques
        .filter((u) => u.partial)
        .map((u) => u.name)
        .sort(),
    );
  });

  /**
   * The check has teeth: each kind of drift the migrations could introduce shows up in the diff, and
   * applying the diff restores the declared schema. A MikroORM upgrade that stops comparing one of
   * them (say, partial index predicates) fails here instead of silently passing the check above.
   */
  describe('the diff notices drift in', () => {
    const drifts: [string, string[], RegExp][] = [
      [
        'a partial index predicate',
        [
          `DROP INDEX ingest_outbox_claimable`,
          `CREATE INDEX ingest_outbox_claimable ON ingest_outbox (available_at, id) WHERE status = 'queued'`,
        ],
        /ingest_outbox_claimable/,
      ],
      [
        'INCLUDE columns',
        [
          `DROP INDEX payments_revenue`,
          `CREATE INDEX payments_revenue ON payments (currency, occurred_at) INCLUDE (source, effect) WHERE effect <> 'none' AND deleted_at IS NULL`,
        ],
        /payments_revenue/,
      ],
      [
        'a DESC key',
        [`DROP INDEX sync_runs_source_id`, `CREATE INDEX sync_runs_source_id ON sync_runs (source, id)`],
        /sync_runs_source_id/,
      ],
      [
        'a CHECK expression',
        [
          `ALTER TABLE payments DROP CONSTRAINT payments_amount_cents_check`,
          `ALTER TABLE payments ADD CONSTRAINT payments_amount_cents_check CHECK (amount_cents > 0)`,
        ],
        /payments_amount_cents_check/,
      ],
      [
        'an enum CHECK',
        [
          `ALTER TABLE ingest_outbox DROP CONSTRAINT ingest_outbox_origin_check`,
          `ALTER TABLE ingest_outbox ADD CONSTRAINT ingest_outbox_origin_check CHECK (origin IN ('webhook','poll'))`,
        ],
        /ingest_outbox_origin_check/,
      ],
      [
        'a default',
        [`ALTER TABLE api_idempotency ALTER COLUMN expires_at SET DEFAULT now() + interval '25 hours'`],
        /expires_at/,
      ],
      ['nullability', [`ALTER TABLE sync_runs ALTER COLUMN error SET NOT NULL`], /"error"/],
      ['a column type', [`ALTER TABLE payments ALTER COLUMN currency TYPE char(4)`], /currency/],
      [
        'a unique constraint',
        [`ALTER TABLE contacts DROP CONSTRAINT contacts_source_external`],
        /contacts_source_external/,
      ],
      [
        'a composite primary key',
        [
          `ALTER TABLE sync_cursors DROP CONSTRAINT sync_cursors_pkey`,
          `ALTER TABLE sync_cursors ADD PRIMARY KEY (source)`,
        ],
        /sync_cursors/,
      ],
      ['an index no entity declares', [`CREATE INDEX contacts_email ON contacts (email)`], /contacts_email/],
      ['a table no entity declares', [`CREATE TABLE stray (id int)`], /stray/],
    ];
    for (const [what, statements, mentions] of drifts) {
      it(what, async () => {
        for (const s of statements) await exec(s);
        const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
        expect(diff).toMatch(mentions);
        await orm.schema.execute(diff);
        expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
      });
    }
  });
});
