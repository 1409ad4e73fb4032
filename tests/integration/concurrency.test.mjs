// Concurrency (SPEC §1, §2): concurrent first requests for one key get one instance; an
// instance is a strand, so concurrent requests never lose each other's state changes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  actorFetch, actorId, create, errorOf, freshKey, getForKey, getOrCreate, jsonHeader, RawConnection, startHost,
} from './lib/host.mjs';

let host;
before(async () => { host = await startHost(); });
after(async () => { await host?.stop(); });

async function requestCount(name, key) {
  const res = await actorFetch(host.url, getForKey(name, key), '/api/stats');
  assert.equal(res.status, 200);
  return (await res.json()).requestCount;
}

/** Opens `n` connections, then writes `bytes(i)` on all of them in one turn of the loop. */
async function burst(n, bytes) {
  const conns = await Promise.all(Array.from({ length: n }, () => RawConnection.open(host.port)));
  try {
    await Promise.all(conns.map((c, i) => c.write(bytes(i))));
    return conns;
  } catch (err) {
    for (const c of conns) c.destroy();
    throw err;
  }
}

describe('concurrent first requests for one key', () => {
  test('50 parallel getOrCreate POST /users on a fresh honoActor key give ids 1..50, once each', async () => {
    const key = freshKey('users');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      actorFetch(host.url, getOrCreate('honoActor', key), '/users', {
        method: 'POST', body: JSON.stringify({ name: `user ${i}` }), headers: { 'Content-Type': 'application/json' },
      }).then(async (r) => ({ status: r.status, body: await r.json() }))));
    for (const r of results) assert.equal(r.status, 201);
    const ids = results.map((r) => r.body.id).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: 50 }, (_, i) => i + 1));
    // Each body kept its own name with its own id.
    const names = new Set(results.map((r) => r.body.name));
    assert.equal(names.size, 50);
    const list = await actorFetch(host.url, getForKey('honoActor', key), '/users');
    const users = await list.json();
    assert.equal(users.length, 50);
    assert.deepEqual(users.map((u) => u.id), Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test('100 parallel requests to a fresh httpActor key, then /api/stats says 101', async () => {
    const key = freshKey('count');
    const results = await Promise.all(Array.from({ length: 100 }, () =>
      actorFetch(host.url, getOrCreate('httpActor', key), '/api/hello').then(async (r) => [r.status, await r.text()])));
    for (const [status, text] of results) {
      assert.equal(status, 200);
      assert.deepEqual(JSON.parse(text), { message: 'Hello from actor!' });
    }
    assert.equal(await requestCount('httpActor', key), 101);
  });

  test('64 connections sending their first request in the same instant create one instance', async () => {
    const key = freshKey('burst');
    const q = jsonHeader(getOrCreate('httpActor', key));
    const conns = await burst(64, () => `GET /registry/actors/raw/http/api/hello HTTP/1.1\r\nHost: x\r\nX-RivetKit-Query: ${q}\r\n\r\n`);
    try {
      const responses = await Promise.all(conns.map((c) => c.readResponse({ timeoutMs: 15_000 })));
      for (const r of responses) assert.equal(r.status, 200);
    } finally {
      for (const c of conns) c.destroy();
    }
    assert.equal(await requestCount('httpActor', key), 65);
  });

  test('20 parallel create on one fresh key: exactly one succeeds, the rest are actor_already_exists', async () => {
    const key = freshKey('create');
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      actorFetch(host.url, create('httpActor', key), '/api/hello').then(errorOf)));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 400);
    assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal(refused.length, 19);
    for (const r of refused) assert.equal(r.body.c, 'actor_already_exists');
    assert.equal(await requestCount('httpActor', key), 2);
  });

  test('30 parallel resolves of a fresh key agree on one id and create one instance', async () => {
    const key = freshKey('resolve');
    const ids = await Promise.all(Array.from({ length: 30 }, () =>
      fetch(`${host.url}/registry/actors/resolve`, {
        method: 'POST', headers: { 'X-RivetKit-Query': jsonHeader(getOrCreate('httpActor', key)) }, signal: AbortSignal.timeout(15_000),
      }).then((r) => r.json())));
    for (const body of ids) assert.deepEqual(body, { i: actorId('httpActor', key) });
    // The instance exists and has served nothing yet but this request.
    assert.equal(await requestCount('httpActor', key), 1);
  });
});

describe('no lost updates under load', () => {
  test('20 connections x 100 pipelined requests to one actor: requestCount is exactly 2,001', async () => {
    const key = freshKey('load');
    const q = jsonHeader(getOrCreate('httpActor', key));
    const one = `GET /registry/actors/raw/http/api/hello HTTP/1.1\r\nHost: x\r\nX-RivetKit-Query: ${q}\r\n\r\n`;
    const conns = await burst(20, () => one.repeat(100));
    try {
      await Promise.all(conns.map(async (c) => {
        for (let i = 0; i < 100; i += 1) assert.equal((await c.readResponse({ timeoutMs: 20_000 })).status, 200);
      }));
    } finally {
      for (const c of conns) c.destroy();
    }
    assert.equal(await requestCount('httpActor', key), 2001);
  });

  test('100 keys x 5 parallel requests each: every instance counts only its own', async () => {
    const keys = Array.from({ length: 100 }, () => freshKey('many'));
    await Promise.all(keys.flatMap((key) => Array.from({ length: 5 }, () =>
      actorFetch(host.url, getOrCreate('httpActor', key), '/api/hello').then((r) => {
        assert.equal(r.status, 200);
        return r.arrayBuffer();
      }))));
    const counts = await Promise.all(keys.map((key) => requestCount('httpActor', key)));
    assert.deepEqual(counts, keys.map(() => 6));
  });

  test('parallel user creation and deletion on one honoActor keep the store consistent', async () => {
    const key = freshKey('crud');
    const post = (i) => actorFetch(host.url, getOrCreate('honoActor', key), '/users', {
      method: 'POST', body: JSON.stringify({ i }), headers: { 'Content-Type': 'application/json' },
    }).then((r) => r.json());
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => post(i)));
    const evenIds = created.filter((u) => u.i % 2 === 0).map((u) => u.id);
    const deletes = await Promise.all(evenIds.map((id) =>
      actorFetch(host.url, getForKey('honoActor', key), `/users/${id}`, { method: 'DELETE' }).then(async (r) => { await r.arrayBuffer(); return r.status; })));
    assert.deepEqual(deletes, evenIds.map(() => 204));
    const left = await (await actorFetch(host.url, getForKey('honoActor', key), '/users')).json();
    assert.deepEqual(left.map((u) => u.i).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 2 * i + 1));
  });
});
