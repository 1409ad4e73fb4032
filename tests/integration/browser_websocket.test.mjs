// WebSocket from a real browser (SPEC §3, §6, §9): headless Chromium's own `WebSocket`, the
// way a web page talks to an actor with no client library (the seed's option C). A page
// served by the host opens both route forms with the query in a `query.<json>` subprotocol
// beside `rivetkit` (or in `?query=`), and checks the negotiated protocol, the welcome,
// ping, text and ArrayBuffer echoes, 0 B to 16 MiB messages, the 16 MiB cap, the close codes of setup
// errors as the page's close event reports them, and the page's own close code.
//
// Chromium is Debian's `chromium` package (scripts/setup installs it for tests), driven by
// playwright-core (a devDependency: `npm ci` in tests/integration). Without /usr/bin/chromium
// these tests are skipped, and say why.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { freshKey, getForKey, getOrCreate, startHost, withTimeout } from './lib/host.mjs';

const CHROMIUM = '/usr/bin/chromium';
const WAIT_MS = 15_000;

const skip = existsSync(CHROMIUM) ? false
  : `${CHROMIUM} not found: install Debian's chromium package (scripts/setup test) to run the browser tests`;

let host;
let browser;
let page;

before(async () => {
  if (skip) return;
  const { chromium } = await import('playwright-core').catch((err) => {
    throw new Error(`the playwright-core package is missing: run \`npm ci\` in tests/integration (${err.message})`);
  });
  host = await startHost();
  // As root Chromium only starts without its sandbox; playwright-core then passes --no-sandbox.
  browser = await withTimeout(chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false }),
    WAIT_MS, 'Chromium to start');
  page = await browser.newPage();
  // A page of the host's own origin, as the demo page would be: its sockets carry that Origin.
  const res = await page.goto(`${host.url}/health`);
  assert.equal(res.status(), 200);
  await page.evaluate(installHelpers);
});

after(async () => {
  await browser?.close();
  await host?.stop();
});

/**
 * Runs in the page: window.openSocket(path, protocols) → a socket whose messages queue up,
 * read in order with next(); `closed` resolves with the close event. Every wait has a deadline.
 */
function installHelpers() {
  window.openSocket = (path, protocols) => {
    const ws = new WebSocket(`ws://${location.host}${path}`, protocols);
    ws.binaryType = 'arraybuffer';
    const queue = [];
    let waiters = [];
    const wake = () => { const w = waiters; waiters = []; for (const f of w) f(); };
    let opened = false;
    ws.addEventListener('open', () => { opened = true; wake(); });
    ws.addEventListener('message', (e) => { queue.push(e.data); wake(); });
    const closed = new Promise((resolve) => ws.addEventListener('close', (e) => {
      resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
      wake();
    }));
    const wait = async (ready, what, ms = 10_000) => {
      const until = Date.now() + ms;
      while (!ready()) {
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}`);
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, until - Date.now()); });
      }
    };
    return {
      ws,
      closed,
      queue,
      get opened() { return opened; },
      open: () => wait(() => opened, 'open'),
      async next(ms) {
        await wait(() => queue.length > 0, 'a message', ms);
        return queue.shift();
      },
      async json(ms) {
        const m = await this.next(ms);
        if (typeof m !== 'string') throw new Error('expected a text message');
        return JSON.parse(m);
      },
      async close(code, reason) {
        ws.close(code, reason);
        return closed;
      },
    };
  };
  window.queryProtocol = (query) => `query.${encodeURIComponent(JSON.stringify(query))}`;
}

/** Runs `fn(arg)` in the page with a deadline on the Node side too. */
function inPage(fn, arg, what = 'the page') {
  return withTimeout(page.evaluate(fn, arg), 30_000, what);
}

describe('Chromium WebSocket', { skip }, () => {
  test('seed route, query subprotocol: protocol "rivetkit", welcome, pong, echoes', async () => {
    const query = getOrCreate('websocketActor', freshKey('browser'));
    const got = await inPage(async (q) => {
      const s = openSocket('/registry/actors/websocketActor/ws/x', [queryProtocol(q), 'rivetkit']);
      await s.open();
      const out = { protocol: s.ws.protocol, extensions: s.ws.extensions, welcome: await s.json() };
      s.ws.send(JSON.stringify({ type: 'ping' }));
      out.pong = await s.json();
      out.now = Date.now();
      s.ws.send('héllo from the browser ✓');
      out.text = await s.json();
      s.ws.send(JSON.stringify({ a: [1, 'b', null] }));
      out.json = await s.json();
      s.ws.send('');
      out.empty = await s.json();
      out.closed = await s.close(1000);
      return out;
    }, query);
    assert.equal(got.protocol, 'rivetkit');
    // Chromium offers permessage-deflate; the host does not take it.
    assert.equal(got.extensions, '');
    assert.deepEqual(got.welcome, { type: 'welcome', connectionCount: 1 });
    assert.equal(got.pong.type, 'pong');
    assert.equal(typeof got.pong.timestamp, 'number');
    assert.ok(Math.abs(got.pong.timestamp - got.now) < 5000, `timestamp ${got.pong.timestamp}, page clock ${got.now}`);
    assert.deepEqual(got.text, { type: 'echo', data: 'héllo from the browser ✓' });
    assert.deepEqual(got.json, { type: 'echo', data: { a: [1, 'b', null] } });
    assert.deepEqual(got.empty, { type: 'echo', data: '' });
    assert.deepEqual(got.closed, { code: 1000, reason: '', wasClean: true });
  });

  test('binary: an ArrayBuffer, a typed-array view and a Blob come back as the same bytes', async () => {
    const query = getOrCreate('websocketActor', freshKey('browser-bin'));
    const got = await inPage(async (q) => {
      const s = openSocket('/registry/actors/raw/websocket/', [queryProtocol(q), 'rivetkit']);
      await s.json(); // welcome
      const every = new Uint8Array(256).map((_, i) => i);
      s.ws.send(every.buffer);
      const a = await s.next();
      const view = new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5);
      s.ws.send(view);
      const b = await s.next();
      s.ws.send(new Blob([new Uint8Array([0xff, 0x00, 0x7f])]));
      const c = await s.next();
      await s.close(1000);
      const bytes = (m) => (m instanceof ArrayBuffer ? Array.from(new Uint8Array(m)) : `not an ArrayBuffer: ${typeof m}`);
      return { a: bytes(a), b: bytes(b), c: bytes(c) };
    }, query);
    assert.deepEqual(got.a, Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(got.b, [1, 2, 3]);
    assert.deepEqual(got.c, [0xff, 0x00, 0x7f]);
  });

  test('1 MiB text and 1 MiB binary messages are echoed whole', async () => {
    const query = getOrCreate('websocketActor', freshKey('browser-big'));
    const got = await inPage(async (q) => {
      const s = openSocket('/registry/actors/websocketActor/ws/', [queryProtocol(q), 'rivetkit']);
      await s.json(); // welcome
      const size = 1024 * 1024;
      const text = 'aé✓😀'.repeat(size / 10) + 'x'.repeat(size % 10); // 1 MiB of UTF-8
      s.ws.send(text);
      const echo = await s.json(20_000);
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
      s.ws.send(bytes);
      const back = new Uint8Array(await s.next(20_000));
      let same = back.length === bytes.length;
      for (let i = 0; same && i < size; i += 1) same = back[i] === bytes[i];
      await s.close(1000);
      return {
        textBytes: new TextEncoder().encode(text).length,
        textSame: echo.type === 'echo' && echo.data === text,
        binaryLength: back.length,
        binarySame: same,
      };
    }, query);
    assert.equal(got.textBytes, 1024 * 1024);
    assert.ok(got.textSame, 'the text echo differs');
    assert.equal(got.binaryLength, 1024 * 1024);
    assert.ok(got.binarySame, 'the binary echo differs');
  });

  test('an empty binary message and one of exactly 16 MiB (the cap) are echoed whole', async () => {
    const query = getOrCreate('websocketActor', freshKey('browser-cap-exact'));
    const got = await inPage(async (q) => {
      const s = openSocket('/registry/actors/websocketActor/ws/', [queryProtocol(q), 'rivetkit']);
      await s.json(); // welcome
      s.ws.send(new Uint8Array(0));
      const empty = new Uint8Array(await s.next(20_000));
      const size = 16 * 1024 * 1024;
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + (i >> 16)) & 0xff;
      s.ws.send(bytes);
      const back = new Uint8Array(await s.next(60_000));
      let same = back.length === size;
      for (let i = 0; same && i < size; i += 1) same = back[i] === bytes[i];
      await s.close(1000);
      return { emptyLength: empty.length, length: back.length, same };
    }, query);
    assert.equal(got.emptyLength, 0);
    assert.equal(got.length, 16 * 1024 * 1024);
    assert.ok(got.same, 'the 16 MiB echo differs');
  });

  test('a message over the 16 MiB cap closes the socket with 1009', async () => {
    const query = getOrCreate('websocketActor', freshKey('browser-cap'));
    const got = await inPage(async (q) => {
      const s = openSocket('/registry/actors/websocketActor/ws/', [queryProtocol(q), 'rivetkit']);
      await s.json(); // welcome
      s.ws.send(new Uint8Array(16 * 1024 * 1024 + 1));
      return s.closed;
    }, query);
    assert.equal(got.code, 1009);
  });

  test('every route form, and ?query=, reach the same actor', async () => {
    const key = freshKey('browser-routes');
    const got = await inPage(async ({ q, search }) => {
      const paths = [
        '/registry/actors/websocketActor/ws/a',
        '/registry/actors/raw/websocket/a',
        '/actors/websocketActor/ws/a',
        '/actors/raw/websocket/a',
      ];
      const out = [];
      for (const p of paths) {
        const s = openSocket(p, [queryProtocol(q), 'rivetkit']);
        out.push({ path: p, protocol: (await s.open(), s.ws.protocol), welcome: await s.json() });
        await s.close(1000);
      }
      // The query in the URL; no subprotocol offered, so none is answered.
      const s = openSocket(`/registry/actors/raw/websocket/a?query=${search}`);
      out.push({ path: 'query in URL', protocol: (await s.open(), s.ws.protocol), welcome: await s.json() });
      await s.close(1000);
      return out;
    }, { q: getOrCreate('websocketActor', key), search: encodeURIComponent(JSON.stringify(getForKey('websocketActor', key))) });
    assert.deepEqual(got.map((r) => r.protocol), ['rivetkit', 'rivetkit', 'rivetkit', 'rivetkit', '']);
    assert.deepEqual(got.map((r) => r.welcome), [1, 2, 3, 4, 5].map((n) => ({ type: 'welcome', connectionCount: n })));
  });

  // A page cannot see the HTTP status of a failed upgrade, only the close event: setup errors
  // arrive as close 1008 (auth) or 1011 with the error code as the reason (SPEC §3).
  const setupErrors = [
    ['lockedActor', getOrCreate('lockedActor', ['browser']), 1008, 'forbidden'],
    ['httpActor', getOrCreate('httpActor', ['browser']), 1011, 'websocket_handler_not_defined'],
    ['websocketActor, never created', getForKey('websocketActor', ['browser-never-created']), 1011, 'actor_not_found'],
  ];
  for (const [what, query, code, reason] of setupErrors) {
    test(`${what}: the close event says ${code} "${reason}"`, async () => {
      const name = Object.values(query)[0].name;
      const got = await inPage(async ({ q, paths }) => {
        const out = [];
        for (const p of paths) {
          const s = openSocket(p, [queryProtocol(q), 'rivetkit']);
          const closed = await s.closed;
          out.push({ ...closed, opened: s.opened, messages: s.queue.length });
        }
        return out;
      }, { q: query, paths: [`/registry/actors/${name}/ws/`, '/registry/actors/raw/websocket/'] });
      for (const closed of got) assert.deepEqual(closed, { code, reason, wasClean: true, opened: true, messages: 0 });
    });
  }

  test('the page closes with 4000 and a reason; the server answers with 4000', async () => {
    const query = getOrCreate('websocketActor', freshKey('browser-close'));
    const got = await inPage(async (q) => {
      const s = openSocket('/registry/actors/websocketActor/ws/', [queryProtocol(q), 'rivetkit']);
      await s.json(); // welcome
      return s.close(4000, 'page going away');
    }, query);
    assert.equal(got.code, 4000);
    assert.equal(got.wasClean, true);
  });

  test('the page\'s fetch sees the counters of its closed sockets', async () => {
    const key = freshKey('browser-stats');
    const got = await inPage(async ({ q, statsQuery }) => {
      const s = openSocket('/registry/actors/websocketActor/ws/', [queryProtocol(q), 'rivetkit']);
      await s.json(); // welcome
      for (const m of ['one', 'two', new Uint8Array([1])]) {
        s.ws.send(m);
        await s.next();
      }
      await s.close(1000);
      const res = await fetch('/registry/actors/websocketActor/raw/http/stats', {
        headers: { 'X-RivetKit-Query': JSON.stringify(statsQuery) },
      });
      return { status: res.status, body: await res.json() };
    }, { q: getOrCreate('websocketActor', key), statsQuery: getForKey('websocketActor', key) });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, { connectionCount: 1, messageCount: 3 });
  });
});
