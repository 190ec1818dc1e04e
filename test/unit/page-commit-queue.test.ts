import { describe, expect, it } from 'vitest';
import { MAX_PAGES_AHEAD, PageCommitQueue } from '../../src/runs/page-commit.queue.js';
import type { OutboxInsert } from '../../src/outbox/outbox.types.js';

const row = (id: string) => ({ dedupeKey: id }) as OutboxInsert;

/** A commitPage whose commits finish only when the test says so. */
function controlledCommits() {
  const commits: { keys: string[]; cursor: unknown; pages: number; done: () => void; fail: (e: Error) => void }[] = [];
  const commitPage = (rows: OutboxInsert[], cursor?: unknown, pages = 1) =>
    new Promise<{ inserted: number; duplicates: number }>((resolve, reject) => {
      commits.push({
        keys: rows.map((r) => r.dedupeKey),
        cursor,
        pages,
        done: () => resolve({ inserted: rows.length, duplicates: 0 }),
        fail: reject,
      });
    });
  return { commits, commitPage };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PageCommitQueue (backfill pages committed behind the fetcher)', () => {
  it('pages added during a commit go together in the next one, in order, with the last cursor and their count', async () => {
    const c = controlledCommits();
    const q = new PageCommitQueue(c);
    await q.add([row('a1'), row('a2')], 'after-a');
    await q.add([row('b1')], 'after-b');
    await q.add([row('c1')], 'after-c');
    expect(c.commits).toHaveLength(1);
    c.commits[0].done();
    await tick();
    expect(c.commits).toHaveLength(2);
    expect(c.commits[1]).toMatchObject({ keys: ['b1', 'c1'], cursor: 'after-c', pages: 2 });
    c.commits[1].done();
    await q.drain();
    expect(c.commits.map((x) => x.keys)).toEqual([
      ['a1', 'a2'],
      ['b1', 'c1'],
    ]);
  });

  it('the fetcher is held once MAX_PAGES_AHEAD pages wait, and let go when a commit frees them', async () => {
    const c = controlledCommits();
    const q = new PageCommitQueue(c);
    await q.add([row('p0')], 0);
    for (let i = 1; i < MAX_PAGES_AHEAD; i++) await q.add([row(`p${i}`)], i);
    let released = false;
    const held = q.add([row('last')], 'last').then(() => (released = true));
    await tick();
    expect(released).toBe(false);
    c.commits[0].done();
    await held;
    expect(c.commits[1].pages).toBe(MAX_PAGES_AHEAD);
  });

  it('a failed commit is thrown to the fetcher and nothing after it is committed', async () => {
    const c = controlledCommits();
    const q = new PageCommitQueue(c);
    await q.add([row('a')], 'a');
    await q.add([row('b')], 'b');
    c.commits[0].fail(new Error('disk full'));
    await tick();
    await expect(q.add([row('c')], 'c')).rejects.toThrow('disk full');
    await expect(q.drain()).rejects.toThrow('disk full');
    expect(c.commits).toHaveLength(1);
  });

  it('a failed group is retried page by page: the pages before the bad one are kept, the bad one stops the run', async () => {
    const c = controlledCommits();
    const q = new PageCommitQueue(c);
    await q.add([row('a')], 'a');
    await q.add([row('b')], 'b');
    await q.add([row('c')], 'c');
    c.commits[0].done();
    await tick();
    expect(c.commits[1]).toMatchObject({ keys: ['b', 'c'], pages: 2 });
    c.commits[1].fail(new Error('c cannot be stored'));
    await tick();
    expect(c.commits[2]).toMatchObject({ keys: ['b'], cursor: 'b', pages: 1 });
    c.commits[2].done();
    await tick();
    expect(c.commits[3]).toMatchObject({ keys: ['c'], cursor: 'c', pages: 1 });
    c.commits[3].fail(new Error('c cannot be stored'));
    await expect(q.drain()).rejects.toThrow('c cannot be stored');
    expect(c.commits).toHaveLength(4);
  });
});
