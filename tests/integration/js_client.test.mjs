// The JavaScript client (SPEC §8 B: clients/js/actorhost-client.mjs) against the real binary,
// in Node: createClient's accessors (getOrCreate, get, create, getForId), a handle's fetch()
// (paths, bodies, headers, a Request as input or as init), websocket() with the `ws` class
// passed in (Node 20 has no global WebSocket), action() and resolve() with their ActorErrors,
// keys full of characters that URLs, headers and subprotocol tokens treat specially, and conn
// params for authActor.
//
// `ws` is a devDependency in package.json (`npm ci` in tests/integration; scripts/test runs it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ActorError, createClient } from '../../clients/js/actorhost-client.mjs';
import { actorId, freshKey, startHost, withTimeout } from './lib/host.mjs';

const { default: WebSocket } = await import('ws').catch((err) => {
  throw new Error(`the ws package is missing: run \`npm ci\` in tests/integration (${err.message})`);
});

const WAIT_MS = 15_000;
// Every character a URL path, a header value or a subprotocol token treats specially.
const AWKWARD = "a(b)c'!*~ é/%";

let host;
let client;
before(async () => {
  host = await startHost();
  client = createClient(host.url, { WebSocket });
});
after(async () => { await host?.stop(); });

// ---------------------------------------------------------------------------------------------
// Helpers

/** The error body of a Response: {status, body}. */
async function errorOf(res) {
  return { status: res.status, body: await res.json() };
}

/** Asserts that `promise` rejects with an ActorError of `code` and `status`. */
async function rejectsWith(promise, code, status) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ActorError, `an ActorError, got ${err}`);
    assert.equal(err.name, 'ActorError');
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    assert.equal(typeof err.message, 'string');
    assert.ok(err.message.length > 0);
    return true;
  });
}

/** Reads a socket's messages in order; every wait has a deadline. */
function reader(ws) {
  const queue = [];
  let wake = null;
  ws.addEventListener('message', (event) => {
    queue.push(event.data);
    wake?.();
  });
  const closed = new Promise((resolve) => {
    ws.addEventListener('close', (event) => {
      resolve({ code: event.code, reason: event.reason });
      wake?.();
    });
  });
  return {
    closed: () => withTimeout(closed, WAIT_MS, 'the socket to close'),
    async json() {
      while (queue.length === 0) {
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for a message: ${JSON.stringify(await closed)}`);
        await withTimeout(new Promise((r) => { wake = r; }), WAIT_MS, 'a message');
      }
      return JSON.parse(String(queue.shift()));
    },
  };
}

async function closeSocket(ws) {
  const done = new Promise((resolve) => ws.addEventListener('close', resolve));
  ws.close(1000);
  await withTimeout(done, WAIT_MS, 'the socket to close');
}

// ---------------------------------------------------------------------------------------------

describe('createClient', () => {
  test('client.<name> and client.get(name) are the same accessor; a trailing slash is ignored', async () => {
    assert.equal(client.httpActor, client.get('httpActor'));
    const other = createClient(`${host.url}/`);
    assert.equal(other.url, host.url);
    const res = await other.httpActor.getOrCreate(freshKey('slash')).fetch('/api/hello');
    assert.equal(res.status, 200);
  });

  test('a client is not a thenable, so it can be returned from async functions', async () => {
    const c = await Promise.resolve(client);
    assert.equal(c, client);
    assert.equal(client.then, undefined);
  });

  test('keys must be strings or arrays of strings; a URL must be http(s)', () => {
    assert.throws(() => client.httpActor.getOrCreate([1]), TypeError);
    assert.throws(() => client.httpActor.get({ a: 'b' }), TypeError);
    assert.throws(() => client.httpActor.getForId(''), TypeError);
    assert.throws(() => createClient('ftp://example.com'), TypeError);
    assert.throws(() => createClient('not a url'), TypeError);
  });

  test('without a WebSocket class on a platform without one, websocket() says what to do', { skip: globalThis.WebSocket ? 'this Node has a global WebSocket' : false }, async () => {
    const bare = createClient(host.url);
    await assert.rejects(bare.websocketActor.getOrCreate(freshKey('no-ws')).websocket('/'), /createClient\(url, \{ WebSocket \}\)/);
  });
});

describe('fetch', () => {
  test('GET /api/hello', async () => {
    const res = await client.httpActor.getOrCreate(freshKey('hello')).fetch('/api/hello');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await res.json(), { message: 'Hello from actor!' });
  });

  test('POST /api/echo returns the body byte for byte with its content type', async () => {
    const actor = client.httpActor.getOrCreate(freshKey('echo'));
    const json = await actor.fetch('/api/echo', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'héllo ✓', n: [1, 2] }),
    });
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('content-type'), 'application/json');
    assert.deepEqual(await json.json(), { message: 'héllo ✓', n: [1, 2] });

    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const bin = await actor.fetch('api/echo', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
    assert.equal(bin.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(new Uint8Array(await bin.arrayBuffer()), bytes);
  });

  test('the actor sees the method, path, search, the caller\'s headers and body, and the query header', async () => {
    const key = freshKey('request');
    const res = await client.httpActor.getOrCreate(key).fetch('/api/request?x=1&y=%C3%A9', {
      method: 'PUT',
      headers: { 'X-Custom': 'custom value', 'Content-Type': 'text/plain' },
      body: 'the body',
    });
    assert.equal(res.status, 200);
    const seen = await res.json();
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, 'http://actor/api/request?x=1&y=%C3%A9');
    assert.equal(seen.pathname, '/api/request');
    assert.equal(seen.search, '?x=1&y=%C3%A9');
    assert.equal(seen.bodyText, 'the body');
    assert.equal(seen.headers['x-custom'], 'custom value');
    assert.equal(seen.headers['content-type'], 'text/plain');
    assert.deepEqual(JSON.parse(seen.headers['x-rivetkit-query']), { getOrCreateForKey: { name: 'httpActor', key } });
    assert.equal(seen.headers['x-rivetkit-conn-params'], undefined, 'no conn params were given');
  });

  test('a Request as the input: its path, method, headers and body are sent to the actor', async () => {
    const actor = client.httpActor.getOrCreate(freshKey('request-input'));
    const req = new Request('http://elsewhere.example/api/request?from=request', {
      method: 'POST',
      headers: { 'X-From': 'request', 'Content-Type': 'text/plain' },
      body: 'posted',
    });
    const seen = await (await actor.fetch(req)).json();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, 'http://actor/api/request?from=request');
    assert.equal(seen.headers['x-from'], 'request');
    assert.equal(seen.bodyText, 'posted');
  });

  test('a Request as the init (a forwarding server): the path given, the request\'s method, headers and body', async () => {
    const actor = client.httpActor.getOrCreate(freshKey('request-init'));
    const incoming = new Request('http://frontend.example/forward/k/api/request', {
      method: 'PATCH',
      headers: { 'X-Forwarded-By': 'test', 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    const seen = await (await actor.fetch('/api/request', incoming)).json();
    assert.equal(seen.method, 'PATCH');
    assert.equal(seen.pathname, '/api/request');
    assert.equal(seen.headers['x-forwarded-by'], 'test');
    assert.equal(seen.bodyText, '{"a":1}');
  });

  test('a path whose ".." segments lead out of the actor\'s route is refused', async () => {
    const actor = client.httpActor.getOrCreate(freshKey('dots'));
    await assert.rejects(actor.fetch('/../../resolve', { method: 'POST' }), TypeError);
    await assert.rejects(actor.fetch('%2e%2e/%2E%2E/actions/x'), TypeError);
    await assert.rejects(client.websocketActor.getOrCreate(freshKey('dots')).websocket('/../../../x'), TypeError);
    // Dot segments that stay inside the route are the URL's business.
    const inside = await (await actor.fetch('/api/x/../request')).json();
    assert.equal(inside.pathname, '/api/request');
  });

  test('the actor\'s own error statuses come back as Responses', async () => {
    const res = await client.httpActor.getOrCreate(freshKey('404')).fetch('/no/such/route');
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'Not Found');
  });
});

describe('queries', () => {
  test('getOrCreate creates; get then reaches the same instance; resolve gives the deterministic id', async () => {
    const key = freshKey('goc');
    const first = await client.httpActor.getOrCreate(key).fetch('/api/stats');
    assert.deepEqual(await first.json(), { requestCount: 1 });
    const again = await client.httpActor.get(key).fetch('/api/stats');
    assert.deepEqual(await again.json(), { requestCount: 2 });
    assert.equal(await client.httpActor.get(key).resolve(), actorId('httpActor', key));
  });

  test('a string key is a one-part key', async () => {
    const [part] = freshKey('string-key');
    await client.httpActor.getOrCreate(part).fetch('/api/hello');
    assert.equal(await client.httpActor.get([part]).resolve(), actorId('httpActor', [part]));
    assert.equal(await client.httpActor.getOrCreate(part).resolve(), actorId('httpActor', [part]));
  });

  test('get on a key never created: fetch gives 404 actor_not_found, resolve and action throw it', async () => {
    const handle = client.httpActor.get(freshKey('never'));
    const res = await handle.fetch('/api/hello');
    const { status, body } = await errorOf(res);
    assert.equal(status, 404);
    assert.equal(body.c, 'actor_not_found');
    await rejectsWith(handle.resolve(), 'actor_not_found', 404);
    await rejectsWith(handle.action('getStats'), 'actor_not_found', 404);
  });

  test('create makes the actor once; one handle is usable many times; a second create fails', async () => {
    const key = freshKey('create');
    const handle = client.httpActor.create(key, { input: { ignored: true } });
    assert.deepEqual(await (await handle.fetch('/api/stats')).json(), { requestCount: 1 });
    assert.deepEqual(await (await handle.fetch('/api/stats')).json(), { requestCount: 2 });
    assert.equal(await handle.resolve(), actorId('httpActor', key));

    const second = client.httpActor.create(key);
    const res = await second.fetch('/api/stats');
    const { status, body } = await errorOf(res);
    assert.equal(status, 400);
    assert.equal(body.c, 'actor_already_exists');
    await rejectsWith(client.httpActor.create(key).resolve(), 'actor_already_exists', 400);
    // Calls made at once on a handle whose create fails each get their own answer.
    const third = client.httpActor.create(key);
    const answers = await Promise.all([third.fetch('/api/stats'), third.fetch('/api/stats')]);
    for (const r of answers) assert.equal((await errorOf(r)).body.c, 'actor_already_exists');
    await rejectsWith(client.websocketActor.create(freshKey('ws-create')).action('noSuchAction'), 'action_not_found', 400);
  });

  test('getForId after resolve() reaches the same instance', async () => {
    const key = freshKey('by-id');
    const handle = client.httpActor.getOrCreate(key);
    await handle.fetch('/api/hello');
    const id = await handle.resolve();
    assert.match(id, /^[0-9a-f]{16}$/);
    const byId = client.httpActor.getForId(id);
    assert.deepEqual(await (await byId.fetch('/api/stats')).json(), { requestCount: 2 });
    assert.equal(await byId.resolve(), id);
  });

  test('getForId on an id never created: 404 actor_not_found', async () => {
    const handle = client.httpActor.getForId(actorId('httpActor', freshKey('no-id')));
    assert.equal((await errorOf(await handle.fetch('/api/hello'))).body.c, 'actor_not_found');
    await rejectsWith(handle.resolve(), 'actor_not_found', 404);
  });

  test(`a key with awkward characters (${JSON.stringify(AWKWARD)}) works for fetch, websocket and resolve alike`, async () => {
    const key = [AWKWARD, `${freshKey('awkward')[0]} ✓😀`];
    const ws = await client.websocketActor.getOrCreate(key).websocket('/');
    const r = reader(ws);
    assert.deepEqual(await r.json(), { type: 'welcome', connectionCount: 1 });
    await closeSocket(ws);
    // The same instance over HTTP, by key and by id.
    const stats = await (await client.websocketActor.get(key).fetch('/stats')).json();
    assert.equal(stats.connectionCount, 1);
    const id = await client.websocketActor.get(key).resolve();
    assert.equal(id, actorId('websocketActor', key));
    const again = await client.websocketActor.getForId(id).websocket('/');
    assert.deepEqual(await reader(again).json(), { type: 'welcome', connectionCount: 2 });
    await closeSocket(again);
  });
});

describe('websocket', () => {
  test('welcome, ping/pong and echo on the open socket; the server answers "rivetkit"', async () => {
    const ws = await client.websocketActor.getOrCreate(freshKey('ws')).websocket('/');
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.equal(ws.protocol, 'rivetkit');
    const r = reader(ws);
    assert.deepEqual(await r.json(), { type: 'welcome', connectionCount: 1 });
    const before = Date.now();
    ws.send(JSON.stringify({ type: 'ping' }));
    const pong = await r.json();
    assert.equal(pong.type, 'pong');
    assert.ok(Math.abs(pong.timestamp - before) < 5000);
    ws.send('hello ✓');
    assert.deepEqual(await r.json(), { type: 'echo', data: 'hello ✓' });
    ws.send(JSON.stringify({ any: ['json'] }));
    assert.deepEqual(await r.json(), { type: 'echo', data: { any: ['json'] } });
    await closeSocket(ws);
  });

  test('a path and the caller\'s own subprotocols are accepted', async () => {
    const ws = await client.websocketActor.getOrCreate(freshKey('ws-path')).websocket('/some/path?x=1', ['chat', 'v2']);
    assert.equal(ws.protocol, 'rivetkit');
    assert.equal((await reader(ws).json()).type, 'welcome');
    await closeSocket(ws);
  });

  test('a setup error opens the socket, then closes it with 1011 and the error code', async () => {
    const ws = await client.websocketActor.get(freshKey('ws-missing')).websocket('/');
    assert.deepEqual(await reader(ws).closed(), { code: 1011, reason: 'actor_not_found' });
  });

  test('a create handle creates once, then its sockets reach the same instance', async () => {
    const handle = client.websocketActor.create(freshKey('ws-create'));
    for (const n of [1, 2]) {
      const ws = await handle.websocket();
      assert.deepEqual(await reader(ws).json(), { type: 'welcome', connectionCount: n });
      await closeSocket(ws);
    }
  });
});

describe('conn params (authActor)', () => {
  test('params {apiKey: "secret"} are admitted; whoami answers the auth data', async () => {
    const res = await client.authActor.getOrCreate(freshKey('auth'), { params: { apiKey: 'secret' } }).fetch('/api/whoami');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { userId: 'user123' });
  });

  test('params with non-ASCII text travel intact', async () => {
    const params = { apiKey: 'secret', name: 'Zoë ✓ 😀' };
    const res = await client.authActor.getOrCreate(freshKey('auth-utf8'), { params }).fetch('/api/whoami');
    assert.equal(res.status, 200);
    const seen = await (await client.httpActor.getOrCreate(freshKey('params-seen'), { params }).fetch('/api/request')).json();
    assert.deepEqual(JSON.parse(seen.headers['x-rivetkit-conn-params']), params);
  });

  test('no params: 400 missing_auth; a wrong key: 403 forbidden', async () => {
    const key = freshKey('auth-missing');
    const missing = await errorOf(await client.authActor.getOrCreate(key).fetch('/api/whoami'));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.c, 'missing_auth');
    await rejectsWith(client.authActor.getOrCreate(key).resolve(), 'missing_auth', 400);
    const wrong = await errorOf(await client.authActor.getOrCreate(key, { params: { apiKey: 'nope' } }).fetch('/api/whoami'));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.c, 'forbidden');
  });

  test('a socket refused by onAuth closes with 1008', async () => {
    const ws = await client.lockedActor.getOrCreate(freshKey('locked')).websocket('/');
    assert.deepEqual(await reader(ws).closed(), { code: 1008, reason: 'forbidden' });
  });
});

describe('actions', () => {
  test('websocketActor.getStats returns the counters of its sockets', async () => {
    const handle = client.websocketActor.getOrCreate(freshKey('stats'));
    assert.deepEqual(await handle.action('getStats'), { connectionCount: 0, messageCount: 0 });
    const ws = await handle.websocket('/');
    const r = reader(ws);
    await r.json(); // welcome
    ws.send('one');
    await r.json();
    ws.send(JSON.stringify({ type: 'ping' }));
    await r.json();
    await closeSocket(ws);
    assert.deepEqual(await handle.action('getStats'), { connectionCount: 1, messageCount: 2 });
  });

  test('an unknown action throws ActorError action_not_found (400)', async () => {
    await rejectsWith(client.websocketActor.getOrCreate(freshKey('no-action')).action('noSuchAction', 1, 'two'), 'action_not_found', 400);
  });

  test('an action name with awkward characters reaches the host as that name', async () => {
    await rejectsWith(client.websocketActor.getOrCreate(freshKey('odd-action')).action(AWKWARD), 'action_not_found', 400);
  });
});
