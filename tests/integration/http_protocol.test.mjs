// HTTP/1.1 on the wire (RFC 9112), over raw sockets: keep-alive, pipelining, HEAD,
// Expect: 100-continue, chunked request bodies, malformed input and limits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  actorFetch, freshKey, getOrCreate, jsonHeader, RawConnection, rawExchange, startHost,
} from './lib/host.mjs';

let host;
let small; // a second host with --max-body 1024
before(async () => {
  [host, small] = await Promise.all([startHost(), startHost({ args: ['--max-body', '1024'] })]);
});
after(async () => {
  await Promise.all([host?.stop(), small?.stop()]);
});

/** Request head lines addressing httpActor with `key` through the wire-form route. */
function actorHead(method, path, key, extra = []) {
  const q = jsonHeader(getOrCreate('httpActor', key));
  return [`${method} /registry/actors/raw/http${path} HTTP/1.1`, 'Host: 127.0.0.1', `X-RivetKit-Query: ${q}`, ...extra];
}
const req = (lines, body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`;

async function requestCount(key, on = host) {
  const res = await actorFetch(on.url, getOrCreate('httpActor', key), '/api/stats');
  return (await res.json()).requestCount;
}

/** Asserts a response ends the connection: Connection: close, then the socket closes. */
async function assertClosesAfter(conn, response) {
  assert.equal(response.header('connection')?.toLowerCase(), 'close');
  await conn.waitClosed();
}

describe('keep-alive', () => {
  test('several requests in sequence on one connection', async () => {
    const conn = await RawConnection.open(host.port);
    try {
      for (let i = 0; i < 5; i += 1) {
        await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
        const res = await conn.readResponse();
        assert.equal(res.status, 200);
        assert.equal(res.body.toString(), 'ok');
        assert.notEqual(res.header('connection')?.toLowerCase(), 'close');
        assert.equal(conn.ended, false);
      }
    } finally {
      conn.destroy();
    }
  });

  test('responses carry a Date header (RFC 9110 §6.6.1)', async () => {
    const { response, conn } = await rawExchange(host.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    conn.destroy();
    assert.ok(!Number.isNaN(Date.parse(response.header('date'))), `Date: ${response.header('date')}`);
  });

  test('Connection: close is honoured: the server answers, says close, and closes', async () => {
    const { response, conn } = await rawExchange(host.port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(response.status, 200);
    await assertClosesAfter(conn, response);
  });

  test('an HTTP/1.0 request without keep-alive is answered and the connection closed', async () => {
    const { response, conn } = await rawExchange(host.port, 'GET /health HTTP/1.0\r\n\r\n');
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'ok');
    await conn.waitClosed();
  });

  test('an HTTP/1.0 request with Connection: keep-alive keeps the connection', async () => {
    const conn = await RawConnection.open(host.port);
    try {
      for (let i = 0; i < 2; i += 1) {
        await conn.write('GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
        const res = await conn.readResponse();
        assert.equal(res.status, 200);
        assert.equal(res.body.toString(), 'ok');
      }
    } finally {
      conn.destroy();
    }
  });
});

describe('pipelining', () => {
  test('1,000 pipelined requests on one connection are all answered, in order', async () => {
    const key = freshKey('pipeline');
    const n = 1000;
    let batch = '';
    for (let i = 0; i < n; i += 1) {
      // Bodies of different lengths, so a response out of place cannot look right.
      const body = `request ${i} ${'.'.repeat(i % 37)}`;
      batch += req(actorHead('POST', '/api/echo', key, ['Content-Type: text/plain', `Content-Length: ${body.length}`]), body);
    }
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(batch); // one write: the server sees them all back to back
      for (let i = 0; i < n; i += 1) {
        const res = await conn.readResponse({ timeoutMs: 20_000 });
        assert.equal(res.status, 200, `response ${i}`);
        assert.equal(res.body.toString(), `request ${i} ${'.'.repeat(i % 37)}`, `response ${i} is in its place`);
      }
      assert.equal(conn.buf.length, 0, 'no bytes after the last response');
    } finally {
      conn.destroy();
    }
    assert.equal(await requestCount(key), n + 1);
  });

  test('a slow first request does not let later ones overtake it', async () => {
    const slowKey = freshKey('slow');
    const fastKey = freshKey('fast');
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(
        req(actorHead('GET', '/api/events?count=3&interval=100', slowKey)) +
        req(actorHead('GET', '/api/hello', fastKey)) +
        'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' +
        req(actorHead('POST', '/api/echo', fastKey, ['Content-Length: 4']), 'last'));
      const sse = await conn.readResponse();
      assert.equal(sse.status, 200);
      assert.match(sse.header('content-type'), /^text\/event-stream/);
      assert.equal(sse.body.toString().match(/^id: /gm).length, 3);
      const hello = await conn.readResponse();
      assert.deepEqual(JSON.parse(hello.body), { message: 'Hello from actor!' });
      const health = await conn.readResponse();
      assert.equal(health.body.toString(), 'ok');
      const echo = await conn.readResponse();
      assert.equal(echo.body.toString(), 'last');
    } finally {
      conn.destroy();
    }
  });

  test('requests split at every byte boundary across writes still parse', async () => {
    const key = freshKey('split');
    const body = 'split body';
    const one = req(actorHead('POST', '/api/echo', key, [`Content-Length: ${body.length}`]), body);
    const conn = await RawConnection.open(host.port);
    try {
      for (let i = 0; i < one.length; i += 1) await conn.write(one[i]);
      const res = await conn.readResponse();
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), body);
    } finally {
      conn.destroy();
    }
  });
});

describe('HEAD', () => {
  test('HEAD on an actor route: the GET headers with Content-Length, and no body', async () => {
    const key = freshKey('head');
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(req(actorHead('HEAD', '/api/hello', key)) + req(actorHead('GET', '/api/hello', key)));
      const head = await conn.readResponse({ head: true });
      assert.equal(head.status, 200);
      assert.match(head.header('content-type'), /^application\/json/);
      assert.equal(head.header('content-length'), String('{"message":"Hello from actor!"}'.length));
      // If HEAD had sent a body, those bytes would now sit in front of the GET response.
      const get = await conn.readResponse();
      assert.equal(get.status, 200);
      assert.deepEqual(JSON.parse(get.body), { message: 'Hello from actor!' });
    } finally {
      conn.destroy();
    }
  });

  test('HEAD /health: Content-Length 2 and no body', async () => {
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write('HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const head = await conn.readResponse({ head: true });
      assert.equal(head.status, 200);
      assert.equal(head.header('content-length'), '2');
      const get = await conn.readResponse();
      assert.equal(get.body.toString(), 'ok');
    } finally {
      conn.destroy();
    }
  });
});

describe('Expect: 100-continue', () => {
  test('the server sends 100 Continue before the body, then the final response', async () => {
    const key = freshKey('continue');
    const body = 'sent after 100';
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key,
        ['Content-Type: text/plain', `Content-Length: ${body.length}`, 'Expect: 100-continue'])));
      const interim = await conn.readResponse();
      assert.equal(interim.status, 100);
      assert.equal(conn.buf.length, 0, 'nothing but the 100 before the body is sent');
      await conn.write(body);
      const res = await conn.readResponse();
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), body);
    } finally {
      conn.destroy();
    }
  });

  test('a client that sends the body without waiting still gets its answer', async () => {
    const key = freshKey('continue2');
    const body = 'eager';
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key,
        [`Content-Length: ${body.length}`, 'Expect: 100-continue']), body));
      let res = await conn.readResponse();
      if (res.status === 100) res = await conn.readResponse();
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), body);
    } finally {
      conn.destroy();
    }
  });

  test('100-continue with a chunked body', async () => {
    const key = freshKey('continue3');
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key, ['Transfer-Encoding: chunked', 'Expect: 100-continue'])));
      assert.equal((await conn.readResponse()).status, 100);
      await conn.write('3\r\nabc\r\n0\r\n\r\n');
      const res = await conn.readResponse();
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'abc');
    } finally {
      conn.destroy();
    }
  });

  test('a body over the limit gets 413 at once, without 100 Continue', async () => {
    const key = freshKey('continue413');
    const conn = await RawConnection.open(small.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key, ['Content-Length: 5000', 'Expect: 100-continue'])));
      const res = await conn.readResponse();
      assert.equal(res.status, 413);
      assert.equal(JSON.parse(res.body).c, 'payload_too_large');
    } finally {
      conn.destroy();
    }
  });
});

describe('chunked request bodies', () => {
  test('chunks are joined in order; extensions and trailers are accepted', async () => {
    const key = freshKey('chunked');
    const { response, conn } = await rawExchange(host.port, req(actorHead('POST', '/api/echo', key,
      ['Content-Type: text/plain', 'Transfer-Encoding: chunked'])) +
      '5\r\nhello\r\n1;ext=value\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n');
    conn.destroy();
    assert.equal(response.status, 200);
    assert.equal(response.header('content-type'), 'text/plain');
    assert.equal(response.body.toString(), 'hello 0123456789');
  });

  test('a large binary body in many chunks arrives byte for byte', async () => {
    const key = freshKey('chunked-big');
    const data = randomBytes(300_000);
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key, ['Content-Type: application/octet-stream', 'Transfer-Encoding: chunked'])));
      for (let off = 0; off < data.length; off += 7777) {
        const chunk = data.subarray(off, Math.min(off + 7777, data.length));
        await conn.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
      }
      await conn.write('0\r\n\r\n');
      const res = await conn.readResponse({ timeoutMs: 10_000 });
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(data), 'echoed bytes differ');
    } finally {
      conn.destroy();
    }
  });

  test('an empty chunked body', async () => {
    const key = freshKey('chunked-empty');
    const { response, conn } = await rawExchange(host.port, req(actorHead('POST', '/api/request', key, ['Transfer-Encoding: chunked'])) + '0\r\n\r\n');
    conn.destroy();
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).bodyText, '');
  });

  test('the connection stays usable after a chunked request', async () => {
    const key = freshKey('chunked-keep');
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key, ['Transfer-Encoding: chunked'])) + '2\r\nab\r\n0\r\n\r\n' +
        req(actorHead('POST', '/api/echo', key, ['Content-Length: 2']), 'cd'));
      assert.equal((await conn.readResponse()).body.toString(), 'ab');
      assert.equal((await conn.readResponse()).body.toString(), 'cd');
    } finally {
      conn.destroy();
    }
  });
});

describe('malformed requests: 400 and the connection closes', () => {
  const key = freshKey('malformed');
  const cases = {
    'a garbage request line': 'GARBAGE\r\n\r\n',
    'obs-fold with a space (RFC 9112 §5.2)': req([...actorHead('GET', '/api/stats', key), 'X-Folded: a', ' b']),
    'obs-fold with a tab (RFC 9112 §5.2)': req([...actorHead('GET', '/api/stats', key), 'X-Folded: a', '\tb']),
    'no Host on HTTP/1.1': req(actorHead('GET', '/api/stats', key).filter((l) => !l.startsWith('Host:'))),
    'two Host fields': req([...actorHead('GET', '/api/stats', key), 'Host: other']),
    'Content-Length with Transfer-Encoding': req([...actorHead('POST', '/api/echo', key), 'Content-Length: 3', 'Transfer-Encoding: chunked'], '0\r\n\r\n'),
    'two different Content-Lengths': req([...actorHead('POST', '/api/echo', key), 'Content-Length: 1', 'Content-Length: 2'], 'ab'),
    'a non-numeric Content-Length': req([...actorHead('POST', '/api/echo', key), 'Content-Length: abc']),
    'a bad chunk size': req([...actorHead('POST', '/api/echo', key), 'Transfer-Encoding: chunked'], 'zz\r\nab\r\n0\r\n\r\n'),
    'chunked that is not the final transfer coding': req([...actorHead('POST', '/api/echo', key), 'Transfer-Encoding: chunked, gzip'], '0\r\n\r\n'),
    'whitespace between a field name and its colon (RFC 9112 §5.1)': req([...actorHead('GET', '/api/stats', key), 'X-Spaced : v']),
    'a space inside a field name': req([...actorHead('GET', '/api/stats', key), 'Bad Name: v']),
    'a NUL in a field value': req([...actorHead('GET', '/api/stats', key), 'X-Nul: a\0b']),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    test(what, async () => {
      const { response, conn } = await rawExchange(host.port, bytes);
      try {
        assert.equal(response.status, 400, `status; body ${response.body}`);
        assert.match(response.header('content-type') ?? '', /^application\/json/);
        assert.equal(JSON.parse(response.body).c, 'invalid_request');
        await assertClosesAfter(conn, response);
      } finally {
        conn.destroy();
      }
    });
  }

  test('none of the malformed requests reached the actor', async () => {
    // Only this stats request counts; the actor may not even exist before it.
    assert.equal(await requestCount(key), 1);
  });

  test('a malformed request after good pipelined ones: the good ones are answered first', async () => {
    const conn = await RawConnection.open(host.port);
    try {
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\nBROKEN REQUEST\r\n\r\n');
      assert.equal((await conn.readResponse()).body.toString(), 'ok');
      assert.equal((await conn.readResponse()).body.toString(), 'ok');
      const bad = await conn.readResponse();
      assert.equal(bad.status, 400);
      await assertClosesAfter(conn, bad);
    } finally {
      conn.destroy();
    }
  });

  test('an unsupported HTTP version is refused (505) and the connection closes', async () => {
    const { response, conn } = await rawExchange(host.port, 'GET /health HTTP/2.0\r\nHost: x\r\n\r\n');
    try {
      assert.equal(response.status, 505);
      await assertClosesAfter(conn, response);
    } finally {
      conn.destroy();
    }
  });

  test('a client that closes mid-request does not disturb the server', async () => {
    const conn = await RawConnection.open(host.port);
    await conn.write('POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part');
    conn.destroy();
    const res = await fetch(`${host.url}/health`, { signal: AbortSignal.timeout(5000) });
    assert.equal(await res.text(), 'ok');
  });
});

describe('limits', () => {
  const target = (n) => `/health?${'a'.repeat(n - '/health?'.length)}`;

  test('a request target of 8 KiB is served', async () => {
    const { response, conn } = await rawExchange(host.port, `GET ${target(8192)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    conn.destroy();
    assert.equal(response.status, 200);
  });

  test('a request target over 8 KiB is 414 and the connection closes', async () => {
    const { response, conn } = await rawExchange(host.port, `GET ${target(8193)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    try {
      assert.equal(response.status, 414);
      await assertClosesAfter(conn, response);
    } finally {
      conn.destroy();
    }
  });

  test('15 KiB of header fields are served', async () => {
    const { response, conn } = await rawExchange(host.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(15 * 1024)}\r\n\r\n`);
    conn.destroy();
    assert.equal(response.status, 200);
  });

  test('header fields over 16 KiB are 431 headers_too_large', async () => {
    for (const fields of [
      `X-Big: ${'b'.repeat(16 * 1024)}\r\n`,
      Array.from({ length: 10 }, (_, i) => `X-Part-${i}: ${'c'.repeat(2000)}\r\n`).join(''),
      Array.from({ length: 300 }, (_, i) => `X-Many-${i}: v\r\n`).join(''),
    ]) {
      const { response, conn } = await rawExchange(host.port, `GET /health HTTP/1.1\r\nHost: x\r\n${fields}\r\n`);
      try {
        assert.equal(response.status, 431);
        assert.equal(JSON.parse(response.body).c, 'headers_too_large');
        await assertClosesAfter(conn, response);
      } finally {
        conn.destroy();
      }
    }
  });

  test('a body of exactly --max-body bytes is served', async () => {
    const key = freshKey('max');
    const body = randomBytes(1024);
    const res = await actorFetch(small.url, getOrCreate('httpActor', key), '/api/echo', { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(body));
  });

  test('a Content-Length over --max-body is 413 payload_too_large and never reaches the actor', async () => {
    const key = freshKey('413');
    const res = await actorFetch(small.url, getOrCreate('httpActor', key), '/api/echo', { method: 'POST', body: randomBytes(1025) });
    assert.equal(res.status, 413);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal((await res.json()).c, 'payload_too_large');
    assert.equal(await requestCount(key, small), 1);
  });

  test('a chunked body that grows over --max-body is 413', async () => {
    const key = freshKey('413c');
    const conn = await RawConnection.open(small.port);
    try {
      await conn.write(req(actorHead('POST', '/api/echo', key, ['Transfer-Encoding: chunked'])));
      await conn.write(`400\r\n${'a'.repeat(0x400)}\r\n`); // exactly the limit so far
      await conn.write('1\r\nb\r\n0\r\n\r\n');
      const res = await conn.readResponse();
      assert.equal(res.status, 413);
      assert.equal(JSON.parse(res.body).c, 'payload_too_large');
    } finally {
      conn.destroy();
    }
    assert.equal(await requestCount(key, small), 1);
  });
});
