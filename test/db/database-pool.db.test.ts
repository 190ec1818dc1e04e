import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createOrm, runMigrations } from '../../src/database/database.orm.js';
import { PgLocks } from '../../src/database/database.locks.js';
import { Database, isDbUnavailable } from '../../src/database/database.sql.js';
import { createTestDatabase, withDb } from '../support/db.js';

/**
 * One pool per process: session locks pin connections of the ORM's own pool, never more than their
 * share, so queries keep theirs however many long runs hold locks.
 */
describe('database: one pool for queries and session locks', () => {
  let url: string;
  let orm: MikroORM;
  beforeAll(async () => {
    url = await createTestDatabase();
    // 2 connections for queries, 3 for locks: the pool holds 5.
    orm = await createOrm(url, 2, 2_000, 3);
  });
  afterAll(async () => orm?.close(true));

  it('locks take pooled connections up to their share; queries still run; one more lock waits, then fails as unavailable', async () => {
    const locks = new PgLocks(orm, 3, 300);
    const db = new Database(orm);
    const pool = await orm.em.getConnection().getNativeClient();
    const held = await Promise.all(['a', 'b', 'c'].map((n) => locks.tryAcquire(`pool-test:${n}`)));
    expect(held.every(Boolean)).toBe(true);
    expect(pool.totalCount).toBeGreaterThanOrEqual(3);
    // The query share is untouched: two concurrent queries run while every lock slot is taken.
    const [a, b] = await Promise.all([
      db.query<{ n: number }>('SELECT 1 AS n FROM pg_sleep(0.05)'),
      db.query<{ n: number }>('SELECT 2 AS n FROM pg_sleep(0.05)'),
    ]);
    expect([a[0].n, b[0].n]).toEqual([1, 2]);

    const t0 = Date.now();
    const err = await locks.tryAcquire('pool-test:d').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDbUnavailable(err)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

    // A waiter gets the slot a release frees.
    const waiting = locks.tryAcquire('pool-test:d');
    await held[0]!.release();
    const d = await waiting;
    expect(d).not.toBeNull();
    await Promise.all([d!, held[1]!, held[2]!].map((l) => l.release()));
    const [{ n }] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'`);
    expect(Number(n)).toBe(0);
  });

  it('a lock held by one session is refused to another of the same pool, and free again after release', async () => {
    const locks = new PgLocks(orm);
    const first = await locks.tryAcquire('pool-test:same');
    expect(first).not.toBeNull();
    expect(await locks.tryAcquire('pool-test:same')).toBeNull();
    await first!.release();
    const again = await locks.tryAcquire('pool-test:same');
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('processes booting at once on an empty database apply the migrations exactly once', async () => {
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    const name = `m_${randomBytes(6).toString('hex')}`;
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const orms = await Promise.all([1, 2, 3].map(() => createOrm(withDb(inject('pgAdminUrl'), name), 2, undefined, 1)));
    try {
      const applied = await Promise.all(orms.map((o) => runMigrations(o)));
      const all = applied.flat();
      expect(all.length).toBeGreaterThan(0);
      expect(new Set(all).size).toBe(all.length);
      expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
    } finally {
      await Promise.all(orms.map((o) => o.close(true)));
    }
  });
});
