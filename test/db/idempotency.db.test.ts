import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotentRequest } from '../../src/idempotency/idempotent-request.decorator.js';
import { openTestDb } from '../support/db.js';
import { IdempotencyRepository } from '../../src/idempotency/idempotency.repository.js';
import { IdempotencyService } from '../../src/idempotency/idempotency.service.js';
import { AppError } from '../../src/common/app.errors.js';

/** The request as handlers hand it to the service (with the replay mark it sets): the database underneath is real. */
function req(key: string | undefined, path: string, body: unknown) {
  let replayed = false;
  const r: IdempotentRequest = {
    idempotencyKey: key,
    path,
    method: 'POST',
    body,
    markReplayed: () => void (replayed = true),
  };
  return Object.assign(r, { replayed: () => replayed });
}

describe('idempotency (real Postgres)', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let svc: IdempotencyService;
  beforeAll(async () => {
    t = await openTestDb();
    svc = new IdempotencyService(new IdempotencyRepository(t.db));
  });
  afterAll(async () => t.close());

  it('ten concurrent requests with one key execute once and all get the same answer', async () => {
    let executions = 0;
    const fn = async () => {
      executions++;
      await new Promise((r) => setTimeout(r, 150));
      return { runId: String(executions) };
    };
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const r = req('race-key-1', '/trigger/stripe/full', { a: 1 });
        return { body: await svc.execute(r, 202, fn), replayed: r.replayed() };
      }),
    );
    expect(executions).toBe(1);
    for (const o of results) expect(o.body).toEqual({ runId: '1' });
    expect(results.filter((o) => o.replayed)).toHaveLength(9);
  });

  it('same key with another body or route is 409 idempotency_key_mismatch', async () => {
    await svc.execute(req('k-mismatch', '/trigger/stripe/full', { a: 1 }), 202, async () => ({ ok: true }));
    await expect(
      svc.execute(req('k-mismatch', '/trigger/stripe/full', { a: 2 }), 202, async () => ({})),
    ).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_key_mismatch',
    });
    await expect(
      svc.execute(req('k-mismatch', '/trigger/hubspot/full', { a: 1 }), 202, async () => ({})),
    ).rejects.toMatchObject({
      code: 'idempotency_key_mismatch',
    });
  });

  it('missing key is 400 idempotency_key_required; a malformed key is validation_failed', async () => {
    await expect(svc.execute(req(undefined, '/x', {}), 202, async () => ({}))).rejects.toMatchObject({
      status: 400,
      code: 'idempotency_key_required',
    });
    await expect(svc.execute(req('bad key with spaces', '/x', {}), 202, async () => ({}))).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('a 4xx outcome is stored and replayed; a 5xx outcome releases the key', async () => {
    const fail4 = async () => {
      throw new AppError(400, 'source_not_enabled', 'nope');
    };
    await expect(svc.execute(req('k-4xx', '/p', {}), 202, fail4)).rejects.toMatchObject({ code: 'source_not_enabled' });
    // The stored error is thrown again, marked as a replay; the exception filter renders it.
    await expect(svc.execute(req('k-4xx', '/p', {}), 202, async () => ({ shouldNot: 'run' }))).rejects.toMatchObject({
      status: 400,
      code: 'source_not_enabled',
      headers: { 'Idempotent-Replayed': 'true' },
    });

    await expect(
      svc.execute(req('k-5xx', '/p', {}), 202, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await svc.execute(req('k-5xx', '/p', {}), 202, async () => ({ ran: true }))).toEqual({ ran: true });
  });

  it('an expired key can be reused', async () => {
    await svc.execute(req('k-exp', '/p', { v: 1 }), 202, async () => ({ v: 1 }));
    await t.db.query(`UPDATE api_idempotency SET expires_at = now() - interval '1 second' WHERE key = 'k-exp'`);
    expect(await svc.execute(req('k-exp', '/p', { v: 2 }), 202, async () => ({ v: 2 }))).toEqual({ v: 2 });
  });
});

describe('idempotency purge (real Postgres)', () => {
  it('deletes only expired keys', async () => {
    const t = await openTestDb();
    try {
      const repo = new IdempotencyRepository(t.db);
      const { IdempotencyPurge } = await import('../../src/idempotency/idempotency.purge.js');
      await repo.claim('live', 'POST', '/a', 'h');
      await repo.claim('old', 'POST', '/a', 'h');
      await t.db.query(`UPDATE api_idempotency SET expires_at = now() - interval '1 minute' WHERE key = 'old'`);
      const purge = new IdempotencyPurge(repo);
      expect(await purge.purge()).toBe(1);
      expect((await t.db.query<{ key: string }>('SELECT key FROM api_idempotency')).map((r) => r.key)).toEqual([
        'live',
      ]);
    } finally {
      await t.close();
    }
  });
});
