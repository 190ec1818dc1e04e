import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/** A row of a raw query whose shape the caller has not declared: read each field as unknown. */
export type Row = Record<string, unknown>;

/**
 * What repositories run on: the entity manager for entity reads and writes, and plain SQL with
 * `$1…$n` bind parameters (arrays bind as Postgres arrays) for set-based statements, sent through
 * the same entity manager's Kysely executor. Both join the current MikroORM transaction. In raw
 * rows int8 and timestamptz come back as strings: repositories declare the row and convert.
 */
export interface Sql {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Inside `Database.tx`, the transaction's entity manager; on `Database`, a fresh fork per access. */
  readonly em: EntityManager;
}

/** A nullable timestamptz column (a string from the driver) as a Date. */
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

export interface TxOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

const ISOLATION: Record<NonNullable<TxOptions['isolation']>, IsolationLevel> = {
  'read committed': IsolationLevel.READ_COMMITTED,
  'repeatable read': IsolationLevel.REPEATABLE_READ,
  serializable: IsolationLevel.SERIALIZABLE,
};

async function run<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const res = await em.getKysely().executeQuery(CompiledQuery.raw(sql, params as unknown[]));
  return res.rows as T[];
}

export class Database implements Sql {
  constructor(readonly orm: MikroORM) {}

  /** A fresh fork: outside a transaction nothing is shared between calls, not even the identity map. */
  get em(): EntityManager {
    return this.orm.em.fork();
  }

  async query<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return run<T>(this.em, sql, params);
  }

  /** Runs fn in one transaction; every statement issued through the given Sql shares it. */
  async tx<T>(fn: (sql: Sql) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const em = this.orm.em.fork();
    return em.transactional(
      async (tem) => {
        const sql: Sql = { query: (q, p = []) => run(tem, q, p), em: tem };
        if (opts.readOnly) await sql.query('SET TRANSACTION READ ONLY');
        return fn(sql);
      },
      { isolationLevel: opts.isolation ? ISOLATION[opts.isolation] : undefined },
    );
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.query('SELECT 1');
    return Math.round(performance.now() - t0);
  }
}

/** Postgres errors that mean "the database is not there" rather than "your query is wrong". */
export function isDbUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string } | null;
  if (!e) return false;
  const code = String(e.code ?? '');
  // 3D000/28000/28P01/57P04: the database is gone or refuses our login, which only happens on connect.
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      '57P01',
      '57P02',
      '57P03',
      '57P04',
      '53300',
      '08000',
      '08001',
      '08003',
      '08006',
      '3D000',
      '28000',
      '28P01',
    ].includes(code)
  )
    return true;
  const msg = String(e.message ?? '');
  // 55000 is a broad class; on connect it means ALLOW_CONNECTIONS false (a database being maintained).
  return (
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNRESET|the database system is (starting|shutting) down|is not currently accepting connections/i.test(
      msg,
    ) || e.name === 'ConnectionException'
  );
}
