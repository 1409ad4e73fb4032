// WebSocket (SPEC §3, §6, §9) with a real client: Node's `ws` package against the real binary.
// What a RivetKit user does with plain WebSockets (the seed's option C): open
// /registry/actors/{name}/ws/{path} or /registry/actors/raw/websocket/{path} (with or without
// /registry), name the actor in a `query.<json>` subprotocol or `?query=`, get the
// websocketActor's welcome, ping and echoes, send text and binary from 0 B up to the 16 MiB
// cap, whole or in fragments, from many sockets at once; see setup errors as close codes;
// close with their own code; read the actor's counters with fetch afterwards, and after a
// restart; stay connected through the host's keep-alive pings; see 1001 when the host stops.
//
// `ws` is a devDependency in package.json (`npm ci` in tests/integration; scripts/test runs it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { freshKey, getForKey, getOrCreate, jsonHeader, makeDataDir, removeDataDir, startHost, withTimeout } from './lib/host.mjs';

import { WebSocket, WsClient, queryProtocol } from './lib/ws_client.mjs';

const MiB = 1024 * 1024;
const MAX_MESSAGE = 16 * MiB; // the host's default --ws-max-message
const WAIT_MS = 15_000;

let host;
before(async () => { host = await startHost(); });
after(async () => { await host?.stop(); });

// ---------------------------------------------------------------------------------------------
// Helpers

/** The four places a raw WebSocket is mounted (SPEC §3), for actor `name`. */
const routes = (name) => ({
  seed: `/registry/actors/${name}/ws`,
  wire: '/registry/actors/raw/websocket',
  'seed-bare': `/actors/${name}/ws`,
  'wire-bare': '/actors/raw/websocket',
});

/** A client socket on this file's host unless `on` names another (see lib/ws_client.mjs). */
class Client extends WsClient {
  static open(path, protocols = [], { on = host, ...options } = {}) {
    return super.open(on, path, protocols, options);
  }
}

/** Opens a websocketActor socket for `key` (seed route, subprotocol query) and reads the welcome. */
async function openActor(key, { create = true, ...options } = {}) {
  const query = create ? getOrCreate('websocketActor', key) : getForKey('websocketActor', key);
  const client = await Client.open(`${routes('websocketActor').seed}/`, [queryProtocol(query), 'rivetkit'], options);
  const welcome = await client.json();
  assert.equal(welcome.type, 'welcome');
  return { client, welcome };
}

/** GET /stats of the websocketActor `key` through the raw HTTP route, with Node's built-in fetch. */
function statsResponse(key, { on = host } = {}) {
  return fetch(`${on.url}/registry/actors/websocketActor/raw/http/stats`, {
    headers: { 'X-RivetKit-Query': jsonHeader(getForKey('websocketActor', key)) },
    signal: AbortSignal.timeout(WAIT_MS),
  });
}

/** The websocketActor's counters through its onFetch, as Node's built-in fetch sees them. */
async function stats(key, options) {
  const res = await statsResponse(key, options);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  return res.json();
}

/** Text of exactly `bytes` UTF-8 bytes that is not JSON (so the echo's data is the string). */
function textOf(bytes) {
  return 'x'.repeat(bytes);
}

// ---------------------------------------------------------------------------------------------

describe('routes and the actor query', () => {
  for (const [form, prefix] of Object.entries(routes('websocketActor'))) {
    test(`${form} form (${prefix}/<path>): welcome, then echo`, async () => {
      const key = freshKey(`route-${form}`);
      const client = await Client.open(`${prefix}/some/path`, [queryProtocol(getOrCreate('websocketActor', key))]);
      assert.deepEqual(await client.json(), { type: 'welcome', connectionCount: 1 });
      await client.send('hi');
      assert.deepEqual(await client.json(), { type: 'echo', data: 'hi' });
      await client.close(1000);
    });

    test(`${form} form with the query in ?query= and no subprotocol`, async () => {
      const key = freshKey(`url-${form}`);
      const search = `?query=${encodeURIComponent(JSON.stringify(getOrCreate('websocketActor', key)))}`;
      const client = await Client.open(`${prefix}/p${search}`);
      assert.equal(client.ws.protocol, '', 'no subprotocol offered, none answered');
      assert.deepEqual(await client.json(), { type: 'welcome', connectionCount: 1 });
      await client.close(1000);
    });
  }

  test('a server-side caller may name the actor in the X-RivetKit-Query header instead', async () => {
    const key = freshKey('header');
    const client = await Client.open('/registry/actors/raw/websocket/', [],
      { headers: { 'X-RivetKit-Query': jsonHeader(getOrCreate('websocketActor', key)) } });
    assert.deepEqual(await client.json(), { type: 'welcome', connectionCount: 1 });
    await client.close(1000);
  });

  test('a route with no path after it, with or without the trailing slash, opens the socket', async () => {
    const key = freshKey('empty-path');
    const proto = [queryProtocol(getOrCreate('websocketActor', key))];
    for (const path of ['/registry/actors/websocketActor/ws', '/registry/actors/raw/websocket/']) {
      const client = await Client.open(path, proto);
      assert.equal((await client.json()).type, 'welcome');
      await client.close(1000);
    }
  });

  test('all route forms reach the same instance for one key', async () => {
    const key = freshKey('same');
    const proto = [queryProtocol(getOrCreate('websocketActor', key))];
    const counts = [];
    for (const prefix of Object.values(routes('websocketActor'))) {
      const client = await Client.open(`${prefix}/x`, proto);
      counts.push((await client.json()).connectionCount);
      await client.close(1000);
    }
    assert.deepEqual(counts, [1, 2, 3, 4]);
  });

  test('the server answers "rivetkit" when it is offered, wherever it is in the list', async () => {
    const key = freshKey('rivetkit');
    const query = queryProtocol(getOrCreate('websocketActor', key));
    for (const offer of [[query, 'rivetkit'], ['rivetkit', query], ['chat', query, 'rivetkit']]) {
      const client = await Client.open('/registry/actors/websocketActor/ws/', offer);
      assert.equal(client.ws.protocol, 'rivetkit', `offered ${offer.join(', ')}`);
      assert.equal((await client.json()).type, 'welcome');
      await client.close(1000);
    }
  });

  test('without "rivetkit" the server answers the first protocol offered', async () => {
    const key = freshKey('first');
    const query = queryProtocol(getOrCreate('websocketActor', key));
    const a = await Client.open('/registry/actors/raw/websocket/', [query, 'chat']);
    assert.equal(a.ws.protocol, query);
    assert.equal((await a.json()).type, 'welcome');
    await a.close(1000);

    const search = `?query=${encodeURIComponent(JSON.stringify(getOrCreate('websocketActor', key)))}`;
    const b = await Client.open(`/registry/actors/raw/websocket/${search}`, ['chat', 'superchat']);
    assert.equal(b.ws.protocol, 'chat');
    assert.equal((await b.json()).type, 'welcome');
    await b.close(1000);
  });

  test('a RivetKit client\'s full offer (encoding.json, conn_params.<json>) is accepted', async () => {
    const key = freshKey('full-offer');
    const client = await Client.open('/registry/actors/websocketActor/ws/', [
      queryProtocol(getOrCreate('websocketActor', key)),
      'encoding.json',
      `conn_params.${encodeURIComponent(JSON.stringify({ user: 'ünïcode', n: 1 }))}`,
      'rivetkit',
    ]);
    assert.equal(client.ws.protocol, 'rivetkit');
    assert.deepEqual(await client.json(), { type: 'welcome', connectionCount: 1 });
    await client.close(1000);
  });

  test('in the seed form the query may omit the name', async () => {
    const key = freshKey('no-name');
    const client = await Client.open('/registry/actors/websocketActor/ws/', [queryProtocol({ getOrCreateForKey: { key } })]);
    assert.deepEqual(await client.json(), { type: 'welcome', connectionCount: 1 });
    await client.close(1000);
    assert.equal((await stats(key)).connectionCount, 1);
  });

  test('a multi-part key with non-ASCII parts addresses its own instance', async () => {
    const key = ['région', 'café ✓', freshKey('multi')[0]];
    const a = await openActor(key);
    assert.equal(a.welcome.connectionCount, 1);
    await a.client.close(1000);
    const b = await openActor(key, { create: false });
    assert.equal(b.welcome.connectionCount, 2);
    await b.client.close(1000);
    // The same parts joined are another actor, which was never created.
    const res = await statsResponse([key.join('')]);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).c, 'actor_not_found');
  });
});

describe('websocketActor messages', () => {
  test('the welcome counts every connection the actor ever had', async () => {
    const key = freshKey('welcome');
    for (let n = 1; n <= 3; n += 1) {
      const { client, welcome } = await openActor(key);
      assert.deepEqual(welcome, { type: 'welcome', connectionCount: n });
      await client.close(1000);
    }
    // Two open at once get two different counts.
    const [a, b] = await Promise.all([openActor(key), openActor(key)]);
    assert.deepEqual([a.welcome.connectionCount, b.welcome.connectionCount].sort(), [4, 5]);
    await Promise.all([a.client.close(1000), b.client.close(1000)]);
  });

  test('{"type":"ping"} is answered with a pong carrying the time in ms', async () => {
    const { client } = await openActor(freshKey('ping'));
    const before = Date.now();
    await client.send(JSON.stringify({ type: 'ping' }));
    const pong = await client.json();
    const afterMs = Date.now();
    assert.equal(pong.type, 'pong');
    assert.equal(typeof pong.timestamp, 'number');
    assert.ok(Number.isInteger(pong.timestamp));
    // Same machine, same clock: within the round trip (allowing 1 s of slack for rounding).
    assert.ok(pong.timestamp >= before - 1000 && pong.timestamp <= afterMs + 1000,
      `timestamp ${pong.timestamp} not within [${before}, ${afterMs}]`);
    await client.close(1000);
  });

  test('other text is echoed as {"type":"echo","data":...}: JSON as its value, the rest as a string', async () => {
    const { client } = await openActor(freshKey('echo'));
    const cases = [
      ['hello', 'hello'],
      ['héllo wörld ✓ 😀', 'héllo wörld ✓ 😀'],
      ['quotes " and \\ and \n newline', 'quotes " and \\ and \n newline'],
      ['{"type":"chat","text":"hi","n":[1,2.5,null,true]}', { type: 'chat', text: 'hi', n: [1, 2.5, null, true] }],
      ['{"type":"pong"}', { type: 'pong' }],
      ['42', 42],
      ['"a string"', 'a string'],
      ['{not json', '{not json'],
      ['', ''],
    ];
    for (const [text] of cases) await client.send(text);
    for (const [text, data] of cases) assert.deepEqual(await client.json(), { type: 'echo', data }, `echo of ${JSON.stringify(text)}`);
    await client.close(1000);
  });

  test('binary is echoed byte for byte, as binary', async () => {
    const { client } = await openActor(freshKey('binary'));
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await client.send(every);
    const got = await client.next();
    assert.equal(got.binary, true);
    assert.ok(got.data.equals(every));
    // Bytes that happen to spell JSON stay binary.
    const jsonish = Buffer.from('{"type":"ping"}');
    await client.send(jsonish, { binary: true });
    const back = await client.next();
    assert.equal(back.binary, true);
    assert.ok(back.data.equals(jsonish));
    await client.close(1000);
  });

  test('500 mixed messages sent without waiting come back in order', async () => {
    const { client } = await openActor(freshKey('order'));
    const sent = [];
    for (let i = 0; i < 500; i += 1) {
      const m = i % 3 === 0 ? { binary: true, data: randomBytes(1 + (i % 97)) } : { binary: false, data: `message ${i}` };
      sent.push(m);
      client.ws.send(m.data, { binary: m.binary });
    }
    for (const [i, m] of sent.entries()) {
      const got = await client.next();
      assert.equal(got.binary, m.binary, `message ${i} kind`);
      if (m.binary) assert.ok(got.data.equals(m.data), `message ${i} bytes`);
      else assert.deepEqual(JSON.parse(got.data), { type: 'echo', data: m.data });
    }
    await client.close(1000);
  });

  describe('message sizes up to the 16 MiB cap', () => {
    // 125/126 and 65535/65536 straddle the frame header's 7-bit, 16-bit and 64-bit lengths.
    const sizes = [0, 1, 125, 126, 127, 65535, 65536, 65537, MiB, 4 * MiB, MAX_MESSAGE];
    for (const size of sizes) {
      test(`binary ${size} B`, async () => {
        const { client } = await openActor(freshKey(`bin-${size}`));
        const data = randomBytes(size);
        await client.send(data, { binary: true });
        const got = await client.next(30_000);
        assert.equal(got.binary, true);
        assert.equal(got.data.length, size);
        assert.ok(got.data.equals(data), 'echoed bytes differ');
        await client.close(1000);
      });

      test(`text ${size} B`, async () => {
        const { client } = await openActor(freshKey(`text-${size}`));
        const text = textOf(size);
        await client.send(text);
        const got = await client.json(30_000);
        assert.equal(got.type, 'echo');
        assert.equal(got.data.length, size);
        assert.ok(got.data === text, 'echoed text differs');
        await client.close(1000);
      });
    }

    test('multi-byte UTF-8 text of 4 MiB comes back unchanged', async () => {
      const { client } = await openActor(freshKey('utf8-big'));
      const text = 'aé✓😀'.repeat(Math.floor((4 * MiB) / 10));
      await client.send(text);
      const got = await client.json(30_000);
      assert.ok(got.data === text, 'echoed text differs');
      await client.close(1000);
    });

    test('a binary message one byte over the cap is refused with close 1009', async () => {
      const { client } = await openActor(freshKey('too-big'));
      client.ws.send(randomBytes(MAX_MESSAGE + 1));
      const { code } = await client.waitClosed(30_000);
      assert.equal(code, 1009);
    });

    test('a text message one byte over the cap is refused with close 1009', async () => {
      const { client } = await openActor(freshKey('too-big-text'));
      client.ws.send(textOf(MAX_MESSAGE + 1));
      const { code } = await client.waitClosed(30_000);
      assert.equal(code, 1009);
    });

    test('the cap counts all fragments of a message: 17 fragments of 1 MiB close with 1009', async () => {
      const { client } = await openActor(freshKey('too-big-frag'));
      for (let i = 0; i < 17; i += 1) client.ws.send(randomBytes(MiB), { binary: true, fin: i === 16 });
      const { code } = await client.waitClosed(30_000);
      assert.equal(code, 1009);
    });
  });

  describe('fragmented messages', () => {
    test('a text message in three fragments is echoed once, whole', async () => {
      const { client } = await openActor(freshKey('frag-text'));
      await client.send('frag', { fin: false });
      await client.send('men', { fin: false });
      await client.send('ted', { fin: true });
      assert.deepEqual(await client.json(), { type: 'echo', data: 'fragmented' });
      await client.close(1000);
    });

    test('JSON split across fragments is parsed as one message ({"type":"ping"} → pong)', async () => {
      const { client } = await openActor(freshKey('frag-ping'));
      await client.send('{"type":', { fin: false });
      await client.send('"ping"}', { fin: true });
      assert.equal((await client.json()).type, 'pong');
      await client.close(1000);
    });

    test('UTF-8 code points split across fragments at every byte offset', async () => {
      const { client } = await openActor(freshKey('frag-utf8'));
      const text = 'h€llo 😀 wörld';
      const bytes = Buffer.from(text, 'utf8');
      for (let cut = 1; cut < bytes.length; cut += 1) {
        await client.send(bytes.subarray(0, cut), { binary: false, fin: false });
        await client.send(bytes.subarray(cut), { binary: false, fin: true });
      }
      for (let cut = 1; cut < bytes.length; cut += 1) {
        assert.deepEqual(await client.json(), { type: 'echo', data: text }, `cut at byte ${cut}`);
      }
      await client.close(1000);
    });

    test('a binary message in 1000 small fragments, including empty ones', async () => {
      const { client } = await openActor(freshKey('frag-bin'));
      const parts = Array.from({ length: 1000 }, (_, i) => randomBytes(i % 10 === 0 ? 0 : (i % 200) + 1));
      for (const [i, part] of parts.entries()) client.ws.send(part, { binary: true, fin: i === parts.length - 1 });
      const got = await client.next();
      assert.equal(got.binary, true);
      assert.ok(got.data.equals(Buffer.concat(parts)));
      await client.close(1000);
    });

    test('16 MiB sent as 16 fragments of 1 MiB is echoed whole', async () => {
      const { client } = await openActor(freshKey('frag-16m'));
      const parts = Array.from({ length: 16 }, () => randomBytes(MiB));
      for (const [i, part] of parts.entries()) client.ws.send(part, { binary: true, fin: i === 15 });
      const got = await client.next(30_000);
      assert.equal(got.binary, true);
      assert.equal(got.data.length, MAX_MESSAGE);
      assert.ok(got.data.equals(Buffer.concat(parts)));
      await client.close(1000);
    });

    test('a ping between fragments is answered at once and the message still arrives whole', async () => {
      const { client } = await openActor(freshKey('frag-control'));
      await client.send('before ', { fin: false });
      const pong = new Promise((resolve) => client.ws.once('pong', resolve));
      client.ws.ping(Buffer.from('mid-message'));
      assert.equal((await withTimeout(pong, WAIT_MS, 'the pong')).toString(), 'mid-message');
      await client.send('after', { fin: true });
      assert.deepEqual(await client.json(), { type: 'echo', data: 'before after' });
      await client.close(1000);
    });
  });

  test('a protocol-level ping gets a pong with the same payload', async () => {
    const { client } = await openActor(freshKey('control-ping'));
    for (const payload of [Buffer.alloc(0), Buffer.from('abc'), randomBytes(125)]) {
      const pong = new Promise((resolve) => client.ws.once('pong', resolve));
      client.ws.ping(payload);
      const got = await withTimeout(pong, WAIT_MS, 'the pong');
      assert.ok(got.equals(payload));
    }
    await client.close(1000);
  });

  test('text that is not UTF-8 is refused with close 1007', async () => {
    const { client } = await openActor(freshKey('bad-utf8'));
    client.ws.send(Buffer.from([0x68, 0x69, 0xc3, 0x28]), { binary: false });
    const { code } = await client.waitClosed();
    assert.equal(code, 1007);
  });
});

describe('many sockets at once', () => {
  test('64 sockets to one actor: distinct welcome counts, every echo to its own socket', async () => {
    const key = freshKey('one-actor');
    const N = 64;
    const MESSAGES = 10;
    const opened = await Promise.all(Array.from({ length: N }, () => openActor(key)));
    const counts = opened.map((o) => o.welcome.connectionCount).sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: N }, (_, i) => i + 1));
    await Promise.all(opened.map(async ({ client }, s) => {
      for (let i = 0; i < MESSAGES; i += 1) {
        if (i % 2 === 0) {
          await client.send(`socket ${s} message ${i}`);
          assert.deepEqual(await client.json(), { type: 'echo', data: `socket ${s} message ${i}` });
        } else {
          const bytes = Buffer.from(`socket ${s} bytes ${i}`);
          await client.send(bytes, { binary: true });
          assert.ok((await client.next()).data.equals(bytes));
        }
      }
    }));
    await Promise.all(opened.map(({ client }) => client.close(1000)));
    assert.deepEqual(await stats(key), { connectionCount: N, messageCount: N * MESSAGES });
  });

  test('a socket that does not read does not hold up another socket of the same actor', async () => {
    // The echoes to the paused socket back up (send backpressure) while the other one is served.
    const key = freshKey('slow-reader');
    const slow = await openActor(key);
    const fast = await openActor(key);
    slow.client.ws.pause();
    const sent = Array.from({ length: 48 }, () => randomBytes(MiB));
    for (const m of sent) slow.client.ws.send(m);
    for (let i = 0; i < 20; i += 1) {
      await fast.client.send(`fast ${i}`);
      assert.deepEqual(await fast.client.json(), { type: 'echo', data: `fast ${i}` });
    }
    slow.client.ws.resume();
    for (const [i, m] of sent.entries()) assert.ok((await slow.client.next(30_000)).data.equals(m), `echo ${i}`);
    await Promise.all([slow.client.close(1000), fast.client.close(1000)]);
    assert.deepEqual(await stats(key), { connectionCount: 2, messageCount: 68 });
  });

  test('200 actors, one socket each, all open at once', async () => {
    const keys = Array.from({ length: 200 }, () => freshKey('many'));
    const opened = await Promise.all(keys.map((key) => openActor(key)));
    for (const o of opened) assert.equal(o.welcome.connectionCount, 1);
    await Promise.all(opened.map(async ({ client }, i) => {
      await client.send(JSON.stringify({ actor: keys[i][0] }));
      assert.deepEqual(await client.json(), { type: 'echo', data: { actor: keys[i][0] } });
      await client.send(JSON.stringify({ type: 'ping' }));
      assert.equal((await client.json()).type, 'pong');
    }));
    await Promise.all(opened.map(({ client }) => client.close(1000)));
    const all = await Promise.all(keys.map((key) => stats(key)));
    for (const s of all) assert.deepEqual(s, { connectionCount: 1, messageCount: 2 });
  });
});

describe('closing', () => {
  // Setup errors complete the upgrade, then close: 1008 for auth failures, 1011 otherwise, with
  // the error code as the reason (SPEC §3). A browser cannot read an HTTP error status on a
  // failed upgrade, so the close frame is the only way the caller learns what went wrong.
  const setupErrors = [
    ['lockedActor (no onAuth)', 'lockedActor', getOrCreate('lockedActor', ['x']), 1008, 'forbidden'],
    ['httpActor (no onWebSocket)', 'httpActor', getOrCreate('httpActor', ['x']), 1011, 'websocket_handler_not_defined'],
    ['getForKey of a never-created key', 'websocketActor', getForKey('websocketActor', ['never-created-ws']), 1011, 'actor_not_found'],
    ['an unregistered actor name', 'noSuchActor', getOrCreate('noSuchActor', ['x']), 1011, 'actor_not_found'],
  ];
  for (const [what, name, query, code, reason] of setupErrors) {
    for (const [form, prefix] of Object.entries(routes(name))) {
      test(`${what}, ${form} form: close ${code} "${reason}" after the upgrade`, async () => {
        const client = await Client.open(`${prefix}/x`, [queryProtocol(query), 'rivetkit']);
        assert.equal(client.ws.protocol, 'rivetkit');
        assert.deepEqual(await client.waitClosed(), { code, reason });
        assert.deepEqual(client.queue, [], 'no message before the close');
      });
    }
  }

  test('a setup error with the query in ?query= closes the same way', async () => {
    const search = `?query=${encodeURIComponent(JSON.stringify(getOrCreate('lockedActor', ['q'])))}`;
    const client = await Client.open(`/registry/actors/raw/websocket/x${search}`);
    assert.deepEqual(await client.waitClosed(), { code: 1008, reason: 'forbidden' });
  });

  test('getForKey of a never-created key creates nothing', async () => {
    const key = freshKey('not-created');
    const client = await Client.open('/registry/actors/raw/websocket/', [queryProtocol(getForKey('websocketActor', key))]);
    assert.deepEqual(await client.waitClosed(), { code: 1011, reason: 'actor_not_found' });
    const res = await statsResponse(key);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).c, 'actor_not_found');
  });

  test('a query naming another actor than the seed route closes 1011 "invalid_request"', async () => {
    const client = await Client.open('/registry/actors/websocketActor/ws/', [queryProtocol(getOrCreate('httpActor', ['x']))]);
    assert.deepEqual(await client.waitClosed(), { code: 1011, reason: 'invalid_request' });
  });

  test('an unparsable query closes 1011 "invalid_query_json"', async () => {
    const client = await Client.open('/registry/actors/raw/websocket/', [`query.${encodeURIComponent('{"getOrCreateForKey":')}`]);
    assert.deepEqual(await client.waitClosed(), { code: 1011, reason: 'invalid_query_json' });
  });

  test('no query at all closes 1011 "invalid_request"', async () => {
    const client = await Client.open('/registry/actors/raw/websocket/', ['chat']);
    assert.deepEqual(await client.waitClosed(), { code: 1011, reason: 'invalid_request' });
  });

  test('a client close with 4000 and a reason is echoed with 4000; the actor stays usable', async () => {
    const key = freshKey('close-4000');
    const { client } = await openActor(key);
    await client.send('one');
    await client.json();
    const { code, reason } = await client.close(4000, 'client going away');
    assert.equal(code, 4000);
    // RFC 6455 §5.5.1: the reply echoes the status code; echoing the reason is optional.
    assert.ok(reason === '' || reason === 'client going away', `reason ${JSON.stringify(reason)}`);
    const again = await openActor(key, { create: false });
    assert.equal(again.welcome.connectionCount, 2);
    await again.client.close(1000);
  });

  test('a close without a code is answered and seen as 1005 (no status)', async () => {
    const { client } = await openActor(freshKey('close-none'));
    const { code } = await client.close();
    assert.equal(code, 1005);
  });

  test('a client that drops the TCP connection leaves the actor usable and its count kept', async () => {
    const key = freshKey('terminate');
    const { client } = await openActor(key);
    await client.send('counted');
    await client.json();
    client.ws.terminate();
    await client.waitClosed();
    const again = await openActor(key, { create: false });
    assert.equal(again.welcome.connectionCount, 2);
    await again.client.close(1000);
    assert.deepEqual(await stats(key), { connectionCount: 2, messageCount: 1 });
  });
});

describe('the actor\'s counters through fetch', () => {
  test('GET /raw/http/stats (X-RivetKit-Query) shows the messages of sockets that closed', async () => {
    const key = freshKey('stats');
    const a = await openActor(key);
    const b = await openActor(key);
    await a.client.send('1');
    await a.client.send(Buffer.from([1, 2]));
    await a.client.send(JSON.stringify({ type: 'ping' }));
    await b.client.send('2');
    for (let i = 0; i < 3; i += 1) await a.client.next();
    await b.client.next();
    assert.deepEqual(await Promise.all([a.client.close(1000), b.client.close(1000)]),
      [{ code: 1000, reason: '' }, { code: 1000, reason: '' }]);
    assert.deepEqual(await stats(key), { connectionCount: 2, messageCount: 4 });
  });
});

describe('counters survive a restart', () => {
  // messageCount is saved only when the socket closes or by the periodic flush (SPEC §5): a
  // clean restart must still find every message the actor answered.
  test('connectionCount and messageCount after SIGTERM, in a new host on the same data', async () => {
    const dataDir = await makeDataDir('ws');
    const key = freshKey('restart');
    try {
      const first = await startHost({ dataDir });
      try {
        const { client } = await openActor(key, { on: first });
        for (let i = 0; i < 5; i += 1) await client.send(`m${i}`);
        for (let i = 0; i < 5; i += 1) await client.json();
        await client.close(1000);
      } finally {
        await first.stop();
      }
      const second = await startHost({ dataDir });
      try {
        assert.deepEqual(await stats(key, { on: second }), { connectionCount: 1, messageCount: 5 });
        const { client, welcome } = await openActor(key, { create: false, on: second });
        assert.equal(welcome.connectionCount, 2);
        await client.close(1000);
      } finally {
        await second.stop();
      }
    } finally {
      await removeDataDir(dataDir);
    }
  });
});

describe('keep-alive and shutdown', () => {
  // The host pings a silent peer after --ws-ping-interval and drops it after as long again with
  // no pong (SPEC §6); an open socket keeps its actor awake past --actor-idle-timeout (SPEC §5).
  // The intervals are the behaviour under test, so these waits are for the host's own pings.
  let own;
  before(async () => { own = await startHost({ args: ['--ws-ping-interval', '200', '--actor-idle-timeout', '300'] }); });
  after(async () => { await own?.stop(); });

  /** Resolves after `n` pings from the server have reached `client`. */
  function pings(client, n) {
    return withTimeout(new Promise((resolve) => {
      let seen = 0;
      client.ws.on('ping', () => { seen += 1; if (seen === n) resolve(); });
    }), WAIT_MS, `${n} pings from the server`);
  }

  test('a silent client that answers pings stays open, and its actor stays awake', async () => {
    const key = freshKey('keepalive');
    const { client } = await openActor(key, { on: own });
    await client.send('before');
    await client.json();
    // Four ping intervals: past the actor idle timeout several times over.
    await pings(client, 4);
    await client.send('after');
    assert.deepEqual(await client.json(), { type: 'echo', data: 'after' });
    await client.close(1000);
    assert.deepEqual(await stats(key, { on: own }), { connectionCount: 1, messageCount: 2 });
  });

  test('a client that never answers pings is dropped; the actor serves the next one', async () => {
    const key = freshKey('no-pong');
    const { client } = await openActor(key, { on: own, autoPong: false });
    await pings(client, 1);
    const { code } = await client.waitClosed();
    // Dropped without a close handshake (1006), or closed by the host as going away or failed.
    assert.ok([1006, 1001, 1011].includes(code), `close code ${code}`);
    const again = await openActor(key, { create: false, on: own });
    assert.equal(again.welcome.connectionCount, 2);
    await again.client.close(1000);
  });

  test('SIGTERM closes open sockets with 1001 and the host exits 0', async () => {
    const other = await startHost();
    const keys = [freshKey('shutdown'), freshKey('shutdown')];
    const clients = await Promise.all(keys.map((key) => openActor(key, { on: other })));
    await other.stop(); // insists on exit code 0
    for (const { client } of clients) assert.equal((await client.waitClosed()).code, 1001);
  });
});
