// Routes, actor queries and the error table of SPEC §2 and §3, against the real binary.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  actorFetch, actorId, create, errorOf, freshKey, getForId, getForKey, getOrCreate, jsonHeader, startHost,
} from './lib/host.mjs';

let host;
before(async () => { host = await startHost(); });
after(async () => { await host?.stop(); });

const timeout = () => AbortSignal.timeout(15_000);

/** GET /api/stats on httpActor through `query`; returns the count. */
async function requestCount(query, opts) {
  const res = await actorFetch(host.url, query, '/api/stats', {}, opts);
  assert.equal(res.status, 200);
  return (await res.json()).requestCount;
}

/** Asserts an error response: status, JSON content type, and the body's shape and code. */
async function assertError(res, status, code) {
  const e = await errorOf(res);
  assert.equal(e.status, status, `status for ${code}: ${JSON.stringify(e.body)}`);
  assert.match(e.contentType ?? '', /^application\/json/);
  assert.equal(typeof e.body, 'object', `error body is JSON: ${JSON.stringify(e.body)}`);
  assert.equal(e.body.c, code);
  assert.equal(typeof e.body.m, 'string');
  assert.ok(e.body.m.length > 0, 'error message is not empty');
  assert.deepEqual(e.body.md, {});
  return e.body;
}

describe('GET /health', () => {
  test('answers 200 "ok"', async () => {
    const res = await fetch(`${host.url}/health`, { signal: timeout() });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  });

  test('a path the host does not route is 404 with an error body', async () => {
    const res = await fetch(`${host.url}/no/such/route`, { signal: timeout() });
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(typeof body.c, 'string');
    assert.equal(typeof body.m, 'string');
  });
});

describe('raw HTTP routes reach the actor', () => {
  const forms = ['seed', 'wire', 'seed-bare', 'wire-bare'];
  for (const form of forms) {
    for (const header of ['X-RivetKit-Actor-Query', 'X-RivetKit-Query']) {
      test(`${form} form with ${header}`, async () => {
        const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey(form)), '/api/hello', {}, { form, header });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type'), /^application\/json/);
        assert.deepEqual(await res.json(), { message: 'Hello from actor!' });
      });
    }
  }

  test('all four route forms address the same instance for one key', async () => {
    const q = getOrCreate('httpActor', freshKey('forms'));
    for (const form of forms) await actorFetch(host.url, q, '/api/hello', {}, { form }).then((r) => r.arrayBuffer());
    assert.equal(await requestCount(q, { form: 'wire' }), forms.length + 1);
  });

  test('onFetch sees http://actor/{path}?{query}, without the route prefix', async () => {
    const q = getOrCreate('httpActor', freshKey('url'));
    for (const form of forms) {
      const res = await actorFetch(host.url, q, '/api/request?x=1&y=two%20words', {}, { form });
      assert.equal(res.status, 200);
      const seen = await res.json();
      assert.equal(seen.url, 'http://actor/api/request?x=1&y=two%20words', form);
      assert.equal(seen.pathname, '/api/request');
      assert.equal(seen.search, '?x=1&y=two%20words');
    }
  });

  test('the empty path reaches the actor as "/"', async () => {
    const q = getOrCreate('httpActor', freshKey('empty'));
    for (const path of ['', '/', '?z=1']) {
      const res = await actorFetch(host.url, q, path, {}, { form: 'wire' });
      // httpActor has no route at "/": its own plain-text 404, not the host's JSON one.
      assert.equal(res.status, 404, `path ${JSON.stringify(path)}`);
      assert.equal(await res.text(), 'Not Found');
    }
    assert.equal(await requestCount(q), 4);
  });

  test('extra fields in the query are ignored', async () => {
    const key = freshKey('extra');
    const q = { getOrCreateForKey: { name: 'httpActor', key, somethingNew: [1, 2] }, alsoNew: true };
    const res = await actorFetch(host.url, q, '/api/hello');
    assert.equal(res.status, 200);
    assert.equal(await requestCount(getForKey('httpActor', key)), 2);
  });

  test('in the seed form the query may omit the name', async () => {
    const key = freshKey('noname');
    const res = await fetch(`${host.url}/registry/actors/httpActor/raw/http/api/stats`, {
      headers: { 'X-RivetKit-Actor-Query': JSON.stringify({ getOrCreateForKey: { key } }) }, signal: timeout(),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { requestCount: 1 });
    assert.equal(await requestCount(getForKey('httpActor', key)), 2);
  });

  test('different keys are different instances; multi-part keys are not joined', async () => {
    const base = freshKey('iso')[0];
    const keys = [[base], [base, 'b'], [`${base}/b`], [`${base},b`], [`${base}`, ''], []];
    for (const [i, key] of keys.entries()) {
      for (let n = 0; n <= i; n += 1) await actorFetch(host.url, getOrCreate('httpActor', key), '/api/hello').then((r) => r.arrayBuffer());
    }
    for (const [i, key] of keys.entries()) {
      assert.equal(await requestCount(getForKey('httpActor', key)), i + 2, `key ${JSON.stringify(key)}`);
    }
  });

  test('the same key under two actor names is two instances', async () => {
    const key = freshKey('names');
    await actorFetch(host.url, getOrCreate('honoActor', key), '/api/hello').then((r) => r.arrayBuffer());
    assert.equal(await requestCount(getOrCreate('httpActor', key)), 1);
  });
});

describe('POST /registry/actors/resolve', () => {
  async function resolve(query, path = '/registry/actors/resolve') {
    return fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'X-RivetKit-Query': jsonHeader(query), 'X-RivetKit-Encoding': 'json' },
      signal: timeout(),
    });
  }

  test('getOrCreateForKey answers {"i": sha256(JSON.stringify([name, key]))[0..8] in hex}', async () => {
    const key = freshKey('resolve');
    const res = await resolve(getOrCreate('httpActor', key));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const body = await res.json();
    assert.deepEqual(body, { i: actorId('httpActor', key) });
    assert.match(body.i, /^[0-9a-f]{16}$/);
  });

  test('also mounted without the /registry prefix', async () => {
    const key = freshKey('resolve-bare');
    const res = await resolve(getOrCreate('honoActor', key), '/actors/resolve');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { i: actorId('honoActor', key) });
  });

  test('the id is spelled as JSON.stringify spells the key (escapes, "/", non-ASCII)', async () => {
    const keys = [
      ['a'],
      ['a', 'b'],
      [],
      [''],
      ['with/slash', 'back\\slash', 'quote"d'],
      ['tab\there', 'nl\nhere', 'cr\r', '\b\f', '\u0001\u001f'],
      ['héllo', 'ключ', '鍵', '😀'],
      ['<script>&amp;', ' spaces  ', '\u2028\u2029'],
    ];
    for (const key of keys) {
      const res = await resolve(getOrCreate('httpActor', key));
      assert.equal(res.status, 200, `key ${JSON.stringify(key)}`);
      assert.deepEqual(await res.json(), { i: actorId('httpActor', key) }, `key ${JSON.stringify(key)}`);
    }
  });

  test('getForKey and getForId resolve to the same id once created; create too', async () => {
    const key = freshKey('resolve-all');
    const id = actorId('honoActor', key);
    const created = await resolve(create('honoActor', key));
    assert.equal(created.status, 200);
    assert.deepEqual(await created.json(), { i: id });
    const byKey = await resolve(getForKey('honoActor', key));
    assert.deepEqual(await byKey.json(), { i: id });
    const byId = await resolve(getForId(id));
    assert.equal(byId.status, 200);
    assert.deepEqual(await byId.json(), { i: id });
  });

  test('getForKey of a never-created actor is 404 actor_not_found', async () => {
    await assertError(await resolve(getForKey('httpActor', freshKey('nobody'))), 404, 'actor_not_found');
  });

  test('getForId of an unknown id is 404 actor_not_found', async () => {
    await assertError(await resolve(getForId(actorId('httpActor', freshKey('nobody')))), 404, 'actor_not_found');
  });

  test('without a query it is 400 invalid_request', async () => {
    const res = await fetch(`${host.url}/registry/actors/resolve`, { method: 'POST', signal: timeout() });
    await assertError(res, 400, 'invalid_request');
  });

  test('an unparsable query is 400 invalid_query_json', async () => {
    const res = await fetch(`${host.url}/registry/actors/resolve`, {
      method: 'POST', headers: { 'X-RivetKit-Query': '{"getForKey":' }, signal: timeout(),
    });
    await assertError(res, 400, 'invalid_query_json');
  });

  test('an unregistered name is 404 actor_not_found', async () => {
    await assertError(await resolve(getOrCreate('noSuchActor', ['a'])), 404, 'actor_not_found');
  });
});

describe('getForKey, getForId, create and getOrCreateForKey through raw HTTP', () => {
  test('getForKey of a never-created key is 404 actor_not_found and creates nothing', async () => {
    const key = freshKey('gfk');
    await assertError(await actorFetch(host.url, getForKey('httpActor', key), '/api/hello'), 404, 'actor_not_found');
    await assertError(await actorFetch(host.url, getForKey('httpActor', key), '/api/hello'), 404, 'actor_not_found');
    // It is still absent: create succeeds and the counter starts from scratch.
    const res = await actorFetch(host.url, create('httpActor', key), '/api/stats');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { requestCount: 1 });
  });

  test('getForId of a never-created id is 404 actor_not_found', async () => {
    const id = actorId('httpActor', freshKey('gfi'));
    await assertError(await actorFetch(host.url, getForId(id), '/api/hello', {}, { form: 'wire' }), 404, 'actor_not_found');
  });

  test('getForId reaches the instance that getOrCreateForKey made', async () => {
    const key = freshKey('byid');
    await actorFetch(host.url, getOrCreate('httpActor', key), '/api/hello').then((r) => r.arrayBuffer());
    const res = await actorFetch(host.url, getForId(actorId('httpActor', key)), '/api/stats', {}, { form: 'wire' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { requestCount: 2 });
  });

  test('create makes a new instance, then create on the same key is 400 actor_already_exists', async () => {
    const key = freshKey('create');
    const first = await actorFetch(host.url, create('httpActor', key), '/api/stats');
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { requestCount: 1 });
    await assertError(await actorFetch(host.url, create('httpActor', key), '/api/stats'), 400, 'actor_already_exists');
    // The refused create did not reach the actor.
    assert.equal(await requestCount(getForKey('httpActor', key)), 2);
  });

  test('create on a key that getOrCreateForKey made is 400 actor_already_exists', async () => {
    const key = freshKey('create2');
    await actorFetch(host.url, getOrCreate('honoActor', key), '/api/hello').then((r) => r.arrayBuffer());
    await assertError(await actorFetch(host.url, create('honoActor', key), '/api/hello'), 400, 'actor_already_exists');
  });

  test('getOrCreateForKey makes the instance once and then finds it', async () => {
    const key = freshKey('goc');
    for (let i = 1; i <= 3; i += 1) assert.equal(await requestCount(getOrCreate('httpActor', key)), i);
  });

  test('a key part of exactly 128 bytes is accepted', async () => {
    for (const part of ['x'.repeat(128), 'é'.repeat(64)]) {
      const res = await actorFetch(host.url, getOrCreate('httpActor', [part]), '/api/hello');
      assert.equal(res.status, 200, `${Buffer.byteLength(part)} bytes`);
      await res.arrayBuffer();
    }
  });

  test('a key part over 128 bytes is 400 invalid_request (bytes, not characters)', async () => {
    for (const part of ['x'.repeat(129), '€'.repeat(43)]) {
      await assertError(await actorFetch(host.url, getOrCreate('httpActor', ['ok', part]), '/api/hello'), 400, 'invalid_request');
    }
  });
});

describe('query errors (SPEC §3 table)', () => {
  const raw = (headers) => fetch(`${host.url}/registry/actors/httpActor/raw/http/api/hello`, { headers, signal: timeout() });

  test('missing query is 400 invalid_request', async () => {
    await assertError(await raw({}), 400, 'invalid_request');
    const res = await fetch(`${host.url}/registry/actors/raw/http/api/hello`, { signal: timeout() });
    await assertError(res, 400, 'invalid_request');
  });

  for (const bad of ['{', 'not json', '{"getForKey":{"name":"httpActor","key":["a"]}', "{'single':'quotes'}"]) {
    test(`unparsable query ${JSON.stringify(bad)} is 400 invalid_query_json`, async () => {
      await assertError(await raw({ 'X-RivetKit-Actor-Query': bad }), 400, 'invalid_query_json');
    });
  }

  const malformed = {
    'a JSON array': [1],
    'a JSON string': 'getForKey',
    'no known selector': { findActor: { name: 'httpActor', key: ['a'] } },
    'no key': { getOrCreateForKey: { name: 'httpActor' } },
    'a key that is an object': { getOrCreateForKey: { name: 'httpActor', key: { 0: 'a' } } },
    'a key part that is not a string': { getOrCreateForKey: { name: 'httpActor', key: [1] } },
    'a getForId without actorId': { getForId: {} },
  };
  for (const [what, q] of Object.entries(malformed)) {
    test(`a query with ${what} is 400 invalid_request`, async () => {
      await assertError(await raw({ 'X-RivetKit-Actor-Query': JSON.stringify(q) }), 400, 'invalid_request');
    });
  }

  test('a name in the path that differs from the query\'s is 400 invalid_request', async () => {
    const q = getOrCreate('honoActor', freshKey('mismatch'));
    await assertError(await raw({ 'X-RivetKit-Actor-Query': JSON.stringify(q) }), 400, 'invalid_request');
    // ... and nothing was created under either name.
    const key = q.getOrCreateForKey.key;
    await assertError(await actorFetch(host.url, getForKey('honoActor', key), '/api/hello'), 404, 'actor_not_found');
    await assertError(await actorFetch(host.url, getForKey('httpActor', key), '/api/hello'), 404, 'actor_not_found');
  });

  test('an unregistered actor name is 404 actor_not_found (both route forms)', async () => {
    const q = getOrCreate('noSuchActor', ['a']);
    await assertError(await actorFetch(host.url, q, '/x', {}, { form: 'seed' }), 404, 'actor_not_found');
    await assertError(await actorFetch(host.url, q, '/x', {}, { form: 'wire' }), 404, 'actor_not_found');
  });

  test('unparsable conn params are 400 invalid_params', async () => {
    const q = getOrCreate('httpActor', freshKey('params'));
    const res = await actorFetch(host.url, q, '/api/hello', { headers: { 'X-RivetKit-Conn-Params': '{nope' } });
    await assertError(res, 400, 'invalid_params');
  });

  test('valid conn params pass through to an open actor', async () => {
    const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('params-ok')), '/api/hello', {}, { connParams: { any: 'thing' } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});
