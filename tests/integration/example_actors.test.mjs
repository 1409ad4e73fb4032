// The example actors the binary ships (SPEC §9): httpActor and honoActor, through fetch.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { actorFetch, freshKey, getForKey, getOrCreate, startHost, withTimeout } from './lib/host.mjs';

let host;
before(async () => { host = await startHost(); });
after(async () => { await host?.stop(); });

/** Reads a whole text/event-stream body into [{id, data}] events. */
async function readEvents(res) {
  const text = await withTimeout(res.text(), 15_000, 'the event stream to end');
  return text.split('\n\n').filter((block) => block.length > 0).map((block) => {
    const event = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      event[line.slice(0, i)] = line.slice(i + 1).trimStart();
    }
    return event;
  });
}

for (const name of ['httpActor', 'honoActor']) {
  describe(`${name}: the shared routes`, () => {
    const q = () => getOrCreate(name, freshKey(name));

    test('GET /api/hello answers {"message":"Hello from actor!"} as JSON', async () => {
      const res = await actorFetch(host.url, q(), '/api/hello');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(await res.json(), { message: 'Hello from actor!' });
    });

    test('POST /api/echo returns text with its Content-Type', async () => {
      const body = 'héllo wörld ✓\n';
      const res = await actorFetch(host.url, q(), '/api/echo', {
        method: 'POST', body, headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(await res.text(), body);
    });

    test('POST /api/echo returns every byte value unchanged', async () => {
      const body = Buffer.alloc(256 * 4);
      for (let i = 0; i < body.length; i += 1) body[i] = i % 256;
      const res = await actorFetch(host.url, q(), '/api/echo', {
        method: 'POST', body, headers: { 'Content-Type': 'application/x-custom-binary' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/x-custom-binary');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(body));
    });

    test('POST /api/echo returns a 4 MiB random body unchanged', async () => {
      const body = randomBytes(4 * 1024 * 1024);
      const res = await actorFetch(host.url, q(), '/api/echo', {
        method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(res.status, 200);
      const got = Buffer.from(await res.arrayBuffer());
      assert.equal(got.length, body.length);
      assert.ok(got.equals(body), 'echoed bytes differ');
    });

    test('POST /api/echo of a streamed (chunked) upload', async () => {
      const parts = [randomBytes(1000), randomBytes(70_000), Buffer.from('end')];
      const stream = new ReadableStream({
        start(controller) {
          for (const p of parts) controller.enqueue(p);
          controller.close();
        },
      });
      const res = await actorFetch(host.url, q(), '/api/echo', {
        method: 'POST', body: stream, duplex: 'half', headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(Buffer.concat(parts)));
    });

    test('POST /api/echo of an empty body', async () => {
      const res = await actorFetch(host.url, q(), '/api/echo', {
        method: 'POST', body: '', headers: { 'Content-Type': 'text/plain' },
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '');
    });

    test('GET /api/stats and /api/state count every request, this one included', async () => {
      const query = q();
      const s1 = await actorFetch(host.url, query, '/api/stats');
      assert.equal(s1.status, 200);
      assert.match(s1.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(await s1.json(), { requestCount: 1 });
      await actorFetch(host.url, query, '/api/hello').then((r) => r.arrayBuffer());
      await actorFetch(host.url, query, '/api/echo', { method: 'POST', body: 'x' }).then((r) => r.arrayBuffer());
      await actorFetch(host.url, query, '/api/request', { method: 'DELETE' }).then((r) => r.arrayBuffer());
      const unknown = await actorFetch(host.url, query, '/api/unknown');
      assert.equal(unknown.status, 404);
      await unknown.arrayBuffer();
      const s2 = await actorFetch(host.url, query, '/api/state');
      assert.deepEqual(await s2.json(), { requestCount: 6 });
      const s3 = await actorFetch(host.url, getForKey(name, query.getOrCreateForKey.key), '/api/stats');
      assert.deepEqual(await s3.json(), { requestCount: 7 });
    });

    test('ANY /api/request describes the request as the handler saw it', async () => {
      const query = q();
      const body = '{"hello":"wörld"}';
      const res = await actorFetch(host.url, query, '/api/request?a=1&b=x%20y&a=2', {
        method: 'PUT',
        body,
        headers: { 'Content-Type': 'application/json', 'X-Custom-Header': 'Some Value', 'x-MiXeD-case': 'v' },
      });
      assert.equal(res.status, 200);
      const seen = await res.json();
      assert.equal(seen.method, 'PUT');
      assert.equal(seen.url, 'http://actor/api/request?a=1&b=x%20y&a=2');
      assert.equal(seen.pathname, '/api/request');
      assert.equal(seen.search, '?a=1&b=x%20y&a=2');
      assert.equal(seen.bodyText, body);
      assert.equal(seen.headers['x-custom-header'], 'Some Value');
      assert.equal(seen.headers['x-mixed-case'], 'v');
      assert.equal(seen.headers['content-type'], 'application/json');
      assert.equal(seen.headers['content-length'], String(Buffer.byteLength(body)));
      for (const h of Object.keys(seen.headers)) assert.equal(h, h.toLowerCase(), `header name ${h} is lower-case`);
    });

    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
      test(`${method} /api/request reports its method`, async () => {
        const init = { method };
        if (method !== 'GET') init.body = `body of ${method}`;
        const res = await actorFetch(host.url, q(), '/api/request', init);
        assert.equal(res.status, 200);
        const seen = await res.json();
        assert.equal(seen.method, method);
        assert.equal(seen.bodyText, init.body ?? '');
        assert.equal(seen.search, '');
      });
    }

    test('an unknown path is 404 "Not Found"', async () => {
      const res = await actorFetch(host.url, q(), '/api/nothing-here');
      assert.equal(res.status, 404);
      assert.equal(await res.text(), 'Not Found');
    });
  });
}

describe('httpActor: GET /api/events (Server-Sent Events)', () => {
  test('streams count events as text/event-stream, chunked', async () => {
    const query = getOrCreate('httpActor', freshKey('sse'));
    const res = await actorFetch(host.url, query, '/api/events?count=5&interval=10');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(res.headers.get('content-length'), null);
    const events = await readEvents(res);
    assert.equal(events.length, 5);
    events.forEach((e, i) => {
      assert.equal(e.id, String(i));
      assert.deepEqual(JSON.parse(e.data), { n: i, requestCount: 1 });
    });
  });

  test('events arrive one by one, not all at the end', async () => {
    const query = getOrCreate('httpActor', freshKey('sse-live'));
    // 1000 events 10 s apart (the interval's cap): the stream cannot end for hours, so its
    // first event can only arrive if the body is streamed. The wait is a safety bound only.
    const res = await actorFetch(host.url, query, '/api/events?count=1000&interval=10000');
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const { value, done } = await withTimeout(reader.read(), 10_000, 'the first event');
    assert.equal(done, false);
    assert.match(Buffer.from(value).toString(), /^id: 0\ndata: /);
    await reader.cancel();
  });

  test('count=0 is an empty stream', async () => {
    const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('sse0')), '/api/events?count=0');
    assert.equal(res.status, 200);
    assert.deepEqual(await readEvents(res), []);
  });

  test('other requests to the same actor are answered while a stream is open', async () => {
    const query = getOrCreate('httpActor', freshKey('sse-concurrent'));
    // The stream cannot end for hours (1000 events 10 s apart): whatever is answered after its
    // first event is answered while it is open. The waits are safety bounds only.
    const res = await actorFetch(host.url, query, '/api/events?count=1000&interval=10000');
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const first = await withTimeout(reader.read(), 10_000, 'the first event');
    assert.match(Buffer.from(first.value).toString(), /^id: 0\ndata: \{"n":0,"requestCount":1\}/);
    const hello = await withTimeout(actorFetch(host.url, query, '/api/hello'), 10_000, 'a request beside the stream');
    assert.deepEqual(await hello.json(), { message: 'Hello from actor!' });
    // The same instance answered: it counted the stream's request and this one.
    const stats = await withTimeout(actorFetch(host.url, query, '/api/stats'), 10_000, 'a second request beside the stream');
    assert.deepEqual(await stats.json(), { requestCount: 3 });
    await reader.cancel();
  });

  test('a client that goes away mid-stream leaves the actor usable', async () => {
    const query = getOrCreate('httpActor', freshKey('sse-cancel'));
    const controller = new AbortController();
    const res = await actorFetch(host.url, query, '/api/events?count=1000&interval=5', { signal: controller.signal });
    const reader = res.body.getReader();
    await withTimeout(reader.read(), 2000, 'the first event');
    controller.abort();
    await assert.rejects(reader.read());
    const stats = await actorFetch(host.url, query, '/api/stats');
    assert.deepEqual(await stats.json(), { requestCount: 2 });
  });
});

describe('honoActor: /users REST API', () => {
  const users = () => {
    const query = getOrCreate('honoActor', freshKey('users'));
    const call = (path, init = {}) => actorFetch(host.url, query, path, {
      ...init,
      headers: init.body !== undefined ? { 'Content-Type': 'application/json', ...init.headers } : init.headers,
    });
    return { query, call };
  };

  test('POST /users creates with 201 and numbered ids; GET /users lists them', async () => {
    const { call } = users();
    const a = await call('/users', { method: 'POST', body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) });
    assert.equal(a.status, 201);
    assert.match(a.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await a.json(), { id: 1, name: 'Ada', email: 'ada@example.com' });
    const b = await call('/users', { method: 'POST', body: JSON.stringify({ name: 'Bob', tags: ['x'], nested: { n: 1 } }) });
    assert.equal(b.status, 201);
    assert.deepEqual(await b.json(), { id: 2, name: 'Bob', tags: ['x'], nested: { n: 1 } });
    const list = await call('/users');
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), [
      { id: 1, name: 'Ada', email: 'ada@example.com' },
      { id: 2, name: 'Bob', tags: ['x'], nested: { n: 1 } },
    ]);
  });

  test('an empty store lists []', async () => {
    const res = await users().call('/users');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
  });

  test('the server assigns the id, whatever id the client sends', async () => {
    const { call } = users();
    const res = await call('/users', { method: 'POST', body: JSON.stringify({ id: 99, name: 'Eve' }) });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { id: 1, name: 'Eve' });
    assert.equal((await call('/users/99')).status, 404);
  });

  test('GET /users/:id is 200 with the user, 404 when absent or not a number', async () => {
    const { call } = users();
    await call('/users', { method: 'POST', body: '{"name":"Ada"}' }).then((r) => r.arrayBuffer());
    const one = await call('/users/1');
    assert.equal(one.status, 200);
    assert.deepEqual(await one.json(), { id: 1, name: 'Ada' });
    for (const id of ['2', '0', 'abc', '1x']) {
      const res = await call(`/users/${id}`);
      assert.equal(res.status, 404, `/users/${id}`);
      await res.arrayBuffer();
    }
  });

  test('PUT /users/:id replaces the fields and keeps the id; 404 when absent', async () => {
    const { call } = users();
    await call('/users', { method: 'POST', body: '{"name":"Ada","email":"a@x"}' }).then((r) => r.arrayBuffer());
    const put = await call('/users/1', { method: 'PUT', body: '{"name":"Ada L.","id":7}' });
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), { id: 1, name: 'Ada L.' });
    assert.deepEqual(await (await call('/users/1')).json(), { id: 1, name: 'Ada L.' });
    const missing = await call('/users/5', { method: 'PUT', body: '{"name":"x"}' });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  });

  test('DELETE /users/:id is 204 with no body, then 404', async () => {
    const { call } = users();
    await call('/users', { method: 'POST', body: '{"name":"Ada"}' }).then((r) => r.arrayBuffer());
    const del = await call('/users/1', { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal(await del.text(), '');
    assert.equal((await call('/users/1')).status, 404);
    const again = await call('/users/1', { method: 'DELETE' });
    assert.equal(again.status, 404);
    await again.arrayBuffer();
    assert.deepEqual(await (await call('/users')).json(), []);
    // Ids are not reused after a delete.
    const next = await call('/users', { method: 'POST', body: '{"name":"Bob"}' });
    assert.deepEqual(await next.json(), { id: 2, name: 'Bob' });
  });

  for (const [what, body] of [['an array', '[1,2]'], ['a string', '"x"'], ['a number', '3'], ['invalid JSON', '{name:'], ['empty', '']]) {
    test(`POST /users with ${what} is 400 and stores nothing`, async () => {
      const { call } = users();
      const res = await call('/users', { method: 'POST', body });
      assert.equal(res.status, 400);
      await res.arrayBuffer();
      assert.deepEqual(await (await call('/users')).json(), []);
    });
  }

  test('PUT /users/:id with a non-object body is 400 and changes nothing', async () => {
    const { call } = users();
    await call('/users', { method: 'POST', body: '{"name":"Ada"}' }).then((r) => r.arrayBuffer());
    const res = await call('/users/1', { method: 'PUT', body: '[]' });
    assert.equal(res.status, 400);
    await res.arrayBuffer();
    assert.deepEqual(await (await call('/users/1')).json(), { id: 1, name: 'Ada' });
  });

  test('users are per instance: another key has its own list', async () => {
    const a = users();
    const b = users();
    await a.call('/users', { method: 'POST', body: '{"name":"Ada"}' }).then((r) => r.arrayBuffer());
    assert.deepEqual(await (await b.call('/users')).json(), []);
    const res = await b.call('/users', { method: 'POST', body: '{"name":"Bob"}' });
    assert.deepEqual(await res.json(), { id: 1, name: 'Bob' });
  });

  test('/users requests count in /api/stats too', async () => {
    const { call } = users();
    await call('/users').then((r) => r.arrayBuffer());
    await call('/users', { method: 'POST', body: '{}' }).then((r) => r.arrayBuffer());
    await call('/users/9').then((r) => r.arrayBuffer());
    assert.deepEqual(await (await call('/api/stats')).json(), { requestCount: 4 });
  });
});
