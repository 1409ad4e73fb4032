// The seed's option A served by the host itself (SPEC §9): /forward/{key}/* reaches httpActor
// and /ws/{key} websocketActor through the in-process client, and what comes back equals what
// the direct routes give for the same actor. Plus the actions endpoint (SPEC §3):
// POST /registry/actors/actions/{action} with {"a":[args]} answers {"o":output}, with the
// error table's codes, onAuth, and the output gate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { actorFetch, errorOf, freshKey, getForKey, getOrCreate, jsonHeader, makeDataDir, removeDataDir, startHost } from './lib/host.mjs';
import { WsClient, queryProtocol } from './lib/ws_client.mjs';

let host;
before(async () => { host = await startHost(); });
after(async () => { await host?.stop(); });

/** POST an action; `query` goes in X-RivetKit-Query. */
function callAction(query, action, body, { connParams, encoding = 'json', on = host } = {}) {
  const headers = { 'X-RivetKit-Query': jsonHeader(query), 'Content-Type': 'application/json' };
  if (encoding) headers['X-RivetKit-Encoding'] = encoding;
  if (connParams !== undefined) headers['X-RivetKit-Conn-Params'] = jsonHeader(connParams);
  return fetch(`${on.url}/registry/actors/actions/${encodeURIComponent(action)}`, {
    method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
}

describe('forwarding through the in-process client', () => {
  test('/forward/{key}/api/hello answers as the direct route does', async () => {
    const key = freshKey('fwd')[0];
    const forwarded = await fetch(`${host.url}/forward/${key}/api/hello`);
    const direct = await actorFetch(host.url, getOrCreate('httpActor', [key]), '/api/hello');
    assert.equal(forwarded.status, 200);
    assert.equal(forwarded.headers.get('content-type'), direct.headers.get('content-type'));
    assert.deepEqual(await forwarded.json(), await direct.json());
  });

  test('the body, method, query string and headers reach onFetch unchanged', async () => {
    const key = freshKey('fwd')[0];
    const init = { method: 'PUT', body: 'payload é', headers: { 'Content-Type': 'text/x-test', 'X-Custom': 'v' } };
    const forwarded = await (await fetch(`${host.url}/forward/${key}/api/request?a=1&b=two`, init)).json();
    const direct = await (await actorFetch(host.url, getOrCreate('httpActor', [key]), '/api/request?a=1&b=two', init)).json();
    for (const field of ['method', 'url', 'pathname', 'search', 'bodyText']) assert.equal(forwarded[field], direct[field], field);
    assert.equal(forwarded.url, 'http://actor/api/request?a=1&b=two');
    assert.equal(forwarded.headers['x-custom'], 'v');
    assert.equal(forwarded.headers['content-type'], 'text/x-test');
  });

  test('forwarded and direct requests reach the same actor and its state', async () => {
    const key = freshKey('fwd')[0];
    const first = await (await fetch(`${host.url}/forward/${key}/api/increment`, { method: 'POST' })).json();
    const second = await (await actorFetch(host.url, getOrCreate('httpActor', [key]), '/api/increment', { method: 'POST' })).json();
    assert.deepEqual([first.count, second.count], [1, 2]);
  });

  test('an echo of a large body is byte for byte', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const res = await fetch(`${host.url}/forward/${freshKey('fwd')[0]}/api/echo`, {
      method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(body));
  });

  test('/ws/{key} is websocketActor, bridged both ways', async () => {
    const key = freshKey('fwd')[0];
    const ws = await WsClient.open(host, `/ws/${encodeURIComponent(key)}`);
    assert.deepEqual(await ws.json(), { type: 'welcome', connectionCount: 1 });
    await ws.send(JSON.stringify({ type: 'ping' }));
    const pong = await ws.json();
    assert.equal(pong.type, 'pong');
    await ws.send('plain text');
    assert.deepEqual(await ws.json(), { type: 'echo', data: 'plain text' });
    const bytes = Buffer.from([0, 1, 2, 250]);
    await ws.send(bytes);
    const echoed = await ws.next();
    assert.equal(echoed.binary, true);
    assert.ok(echoed.data.equals(bytes));

    // The same actor through the direct route: the second connection it has seen.
    const direct = await WsClient.open(host, '/registry/actors/websocketActor/ws/', [queryProtocol(getOrCreate('websocketActor', [key]))]);
    assert.deepEqual(await direct.json(), { type: 'welcome', connectionCount: 2 });
    await direct.close(1000);

    // Closing the outer socket closes the actor's: its message count is saved on close.
    assert.equal((await ws.close(4002, 'leaving')).code, 4002);
    const stats = await (await actorFetch(host.url, getForKey('websocketActor', [key]), '/stats')).json();
    assert.deepEqual(stats, { connectionCount: 2, messageCount: 3 });
  });

  test('/ws/{key} without an upgrade is refused with 426', async () => {
    const res = await fetch(`${host.url}/ws/${freshKey('fwd')[0]}`);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('upgrade'), 'websocket');
  });

  test('paths outside the forwarding routes are still 404', async () => {
    assert.equal((await fetch(`${host.url}/forward/`)).status, 404);
    assert.equal((await fetch(`${host.url}/ws/a/b`)).status, 404);
    assert.equal((await fetch(`${host.url}/nothing-here`)).status, 404);
  });
});

describe('actions', () => {
  test('getStats answers {"o": ...} with the actor state', async () => {
    const key = freshKey('act')[0];
    const ws = await WsClient.open(host, `/ws/${key}`);
    await ws.json();
    await ws.send('one');
    await ws.json();
    await ws.close(1000);
    const res = await callAction(getForKey('websocketActor', [key]), 'getStats', { a: [] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { o: { connectionCount: 1, messageCount: 1 } });
  });

  test('an action that changes state is durable before it answers, and survives a restart', async () => {
    const dataDir = await makeDataDir('actions');
    const restartable = await startHost({ dataDir });
    const query = getOrCreate('chatRoom', [freshKey('room')[0]]);
    const said = await (await callAction(query, 'say', { a: ['ann', 'hello'] }, { on: restartable })).json();
    assert.equal(said.o.from, 'ann');
    assert.equal(said.o.text, 'hello');
    assert.ok(Number.isInteger(said.o.at) && Math.abs(said.o.at - Date.now()) < 60_000, `at: ${said.o.at}`);
    await restartable.kill('SIGKILL');
    const again = await startHost({ dataDir });
    try {
      const history = await (await callAction(query, 'history', { a: [] }, { on: again })).json();
      assert.deepEqual(history.o.map((m) => [m.from, m.text]), [['ann', 'hello']]);
    } finally {
      await again.stop();
      await removeDataDir(dataDir);
    }
  });

  test('errors: unknown action, bad body, unknown actor, author errors, no onAuth', async () => {
    const room = getOrCreate('chatRoom', [freshKey('room')[0]]);
    const cases = [
      [callAction(room, 'noSuchAction', { a: [] }), 400, 'action_not_found'],
      [callAction(room, 'history', 'not json'), 400, 'invalid_request'],
      [callAction(room, 'history', { args: [] }), 400, 'invalid_request'],
      [callAction(room, 'history', { a: [] }, { encoding: 'cbor' }), 400, 'invalid_request'],
      [callAction(getForKey('chatRoom', [freshKey('never')[0]]), 'history', { a: [] }), 404, 'actor_not_found'],
      [callAction(room, 'say', { a: [1, 2] }), 400, 'invalid_message'],
      [callAction(getOrCreate('lockedActor', ['x']), 'anything', { a: [] }), 403, 'forbidden'],
    ];
    for (const [pending, status, code] of cases) {
      const { status: got, body } = await errorOf(await pending);
      assert.equal(got, status, code);
      assert.equal(body.c, code);
    }
  });

  test('onAuth runs for actions with the conn params', async () => {
    const query = getOrCreate('authActor', ['a']);
    const missing = await errorOf(await callAction(query, 'whatever', { a: [] }));
    assert.deepEqual([missing.status, missing.body.c], [400, 'missing_auth']);
    const admitted = await errorOf(await callAction(query, 'whatever', { a: [] }, { connParams: { apiKey: 'secret' } }));
    assert.deepEqual([admitted.status, admitted.body.c], [400, 'action_not_found']);
  });

  test('GET on the actions route is refused', async () => {
    const res = await fetch(`${host.url}/registry/actors/actions/history`, {
      headers: { 'X-RivetKit-Query': jsonHeader(getOrCreate('chatRoom', ['r'])) },
    });
    assert.equal(res.status, 400);
  });
});
