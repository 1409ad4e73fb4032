// What the README's flag table promises and no other file tests: the peer-controlled deadlines
// (--idle-timeout, --io-timeout for body reads and response writes), the WebSocket keeper (the
// close-handshake timeout at shutdown, a write that stalls past --io-timeout), the periodic save
// of state a WebSocket handler changed, --log-level, and every ACTORHOST_* variable.
//
// The deadlines are the behaviour under test, so they are set short (700 ms) and the waits are
// bounded well above them; none asserts how fast anything happened. A server that stops writing
// to a client that does not read leaves that client nothing to see (its FIN queues behind the
// unread data), so for those cases the server's end of the connection is looked up in
// /proc/net/tcp: it leaves ESTABLISHED when the server closes it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  actorFetch, actorhostBin, actorId, errorOf, freshKey, getOrCreate, jsonHeader, makeDataDir, RawConnection,
  removeDataDir, runBinary, startHost, withTimeout,
} from './lib/host.mjs';
import { queryProtocol, WsClient } from './lib/ws_client.mjs';

const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// ---------------------------------------------------------------------------------------------
// Helpers

/** A raw request head to httpActor's /api/echo for `key`, announcing `length` bytes of body. */
function echoHead(key, length) {
  const q = jsonHeader(getOrCreate('httpActor', key));
  return `POST /registry/actors/httpActor/raw/http/api/echo HTTP/1.1\r\nHost: x\r\nX-RivetKit-Actor-Query: ${q}\r\n` +
    `Content-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;
}

/** The TCP state (hex, as /proc/net/tcp shows it; '01' is ESTABLISHED) of the socket from localPort to remotePort. */
function tcpState(localPort, remotePort) {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      if (parseInt(f[1].split(':')[1], 16) === localPort && parseInt(f[2].split(':')[1], 16) === remotePort) return f[3];
    }
  }
  return null;
}

/**
 * Resolves once the server has closed its end of `socket`: that end, seen in /proc/net/tcp, has
 * left ESTABLISHED (a server that closes with output unsent stays listed, in FIN_WAIT1, while
 * the client reads nothing). Rejects at the deadline.
 */
async function serverClosed(hostPort, socket, timeoutMs) {
  const clientPort = socket.localPort;
  assert.notEqual(tcpState(hostPort, clientPort), null, 'the server\'s end of the connection is in /proc/net/tcp');
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (tcpState(hostPort, clientPort) !== '01') return;
    if (Date.now() >= until) throw new Error(`the server did not close the connection within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** A masked client WebSocket frame (RFC 6455 §5.2). */
function wsFrame(opcode, payload) {
  const mask = randomBytes(4);
  let head;
  if (payload.length < 126) head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
  else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head.writeUInt8(0x80 | opcode, 0);
    head.writeUInt8(0x80 | 126, 1);
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head.writeUInt8(0x80 | opcode, 0);
    head.writeUInt8(0x80 | 127, 1);
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i += 1) masked[i] = payload[i] ^ mask[i % 4];
  return Buffer.concat([head, mask, masked]);
}

/**
 * A WebSocket client written by hand over node:net (so that it can leave a Close unanswered,
 * or stop reading): the upgrade is done, frames are read with nextFrame(). `allowHalfOpen`
 * keeps our side open after the server's FIN, as a peer that never answers would.
 */
async function rawWebSocket(port, pathname, protocols, { allowHalfOpen = false } = {}) {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen, noDelay: true });
  await withTimeout(once(socket, 'connect'), 5000, 'the WebSocket connection');
  const conn = new RawConnection(socket);
  const key = randomBytes(16).toString('base64');
  await conn.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols.join(', ')}\r\n\r\n`);
  const until = Date.now() + 10_000;
  while (conn.buf.indexOf('\r\n\r\n') < 0) {
    if (conn.ended) throw new Error(`closed during the upgrade: ${conn.buf.toString('latin1')}`);
    await conn.changed(until, 'the 101 response');
  }
  const end = conn.buf.indexOf('\r\n\r\n');
  const head = conn.buf.subarray(0, end).toString('latin1');
  assert.match(head, /^HTTP\/1\.1 101 /);
  conn.buf = conn.buf.subarray(end + 4);
  /** The next frame from the server, {opcode, payload}. */
  conn.nextFrame = async (timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const b = conn.buf;
      if (b.length >= 2) {
        let len = b[1] & 0x7f;
        let off = 2;
        if (len === 126 && b.length >= 4) { len = b.readUInt16BE(2); off = 4; } else if (len === 127 && b.length >= 10) { len = Number(b.readBigUInt64BE(2)); off = 10; }
        if (!(len >= 126 && off === 2) && b.length >= off + len) {
          conn.buf = b.subarray(off + len);
          return { opcode: b[0] & 0x0f, payload: b.subarray(off, off + len) };
        }
      }
      if (conn.ended) throw new Error('the connection ended before a whole frame');
      await conn.changed(deadline, 'a WebSocket frame');
    }
  };
  return conn;
}

const wsPath = '/registry/actors/websocketActor/ws/';
const wsProtocols = (key) => [queryProtocol(getOrCreate('websocketActor', key)), 'rivetkit'];

/** POST /registry/actors/actions/{name} on websocketActor `key`: {status, body}. */
async function action(host, key, name) {
  const res = await fetch(`${host.url}/registry/actors/actions/${name}`, {
    method: 'POST',
    headers: { 'X-RivetKit-Query': jsonHeader(getOrCreate('websocketActor', key)), 'Content-Type': 'application/json' },
    body: '{"a":[]}',
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() };
}

async function assertHealthy(host) {
  const res = await fetch(`${host.url}/health`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ok');
}

/**
 * Opens `GET /api/events` on an httpActor that cannot end for hours (1000 events 10 s apart)
 * and reads its first event: a request in flight for as long as the test needs one.
 */
async function openEndlessStream(url) {
  const controller = new AbortController();
  const res = await actorFetch(url, getOrCreate('httpActor', freshKey('endless')), '/api/events?count=1000&interval=10000',
    { signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  await withTimeout(reader.read(), 10_000, 'the first event');
  return { reader, abort: () => controller.abort() };
}

// Hosts this file spawns itself (for the variables startHost's own flags would override) are
// killed if the test process ends first.
const spawned = new Set();
process.on('exit', () => { for (const child of spawned) child.kill('SIGKILL'); });

/**
 * Spawns the binary with exactly `args` and an environment of ours minus every ACTORHOST_*
 * variable, plus `env`; waits for its `listening on http://HOST:PORT` line. Returns
 * {url, hostname, port, child, stderr(), signalAndWait(signal), stop()}; stop() insists on exit
 * code 0 and on the one stdout line. Callers always name a data directory and a port (flag or
 * variable), so nothing is written to the working directory and no fixed port is taken.
 */
async function spawnHost({ args = [], env = {} }) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ACTORHOST_')) base[k] = v;
  const child = spawn(actorhostBin(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...base, ...env } });
  spawned.add(child);
  let stdout = '';
  let stderr = '';
  const closed = new Promise((resolve) => child.once('close', (code, signal) => { spawned.delete(child); resolve({ code, signal }); }));
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const listening = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      const m = /^listening on (http:\/\/([^:/]+):(\d+))$/.exec(stdout.slice(0, nl));
      if (m) resolve({ url: m[1], hostname: m[2], port: Number(m[3]) });
      else reject(new Error(`unexpected first stdout line: ${JSON.stringify(stdout.slice(0, nl))}`));
    });
    closed.then(({ code, signal }) => reject(new Error(`actorhost exited before listening (code ${code}, signal ${signal}); stderr:\n${stderr}`)));
  });
  let where;
  try {
    where = await withTimeout(listening, 10_000, () => `actorhost to print its listening line; stderr:\n${stderr}`);
  } catch (err) {
    child.kill('SIGKILL');
    await withTimeout(closed, 5000, 'actorhost to exit after SIGKILL').catch(() => {});
    throw err;
  }
  const host = {
    ...where,
    child,
    stderr: () => stderr,
    /** Sends `signal`, waits for the exit and for stdout and stderr to end: {code, signal, stdout, stderr}. */
    async signalAndWait(signal = 'SIGTERM', waitMs = 20_000) {
      child.kill(signal);
      try {
        const r = await withTimeout(closed, waitMs, `actorhost to exit after ${signal}`);
        return { ...r, stdout, stderr };
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
    },
    async stop() {
      const r = await host.signalAndWait('SIGTERM');
      assert.deepEqual([r.code, r.signal], [0, null], `exit status after SIGTERM; stderr:\n${r.stderr}`);
      assert.equal(r.stdout, `listening on ${where.url}\n`, 'stdout holds exactly the listening line');
      return r;
    },
  };
  return host;
}

/** A port that was free a moment ago. */
async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await withTimeout(once(server, 'listening'), 5000, 'a listening socket');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** What a connection attempt to host:port comes to: 'connected' or the error's code. */
async function connectOutcome(hostname, port) {
  const socket = net.connect(port, hostname);
  try {
    return await withTimeout(new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (e) => resolve(e.code));
    }), 5000, `a connection to ${hostname}:${port}`);
  } finally {
    socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

describe('--idle-timeout', () => {
  test('with --idle-timeout 700 the server closes a keep-alive connection that idles after its request', async () => {
    const host = await startHost({ args: ['--idle-timeout', '700'] });
    try {
      const conn = await RawConnection.open(host.port);
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const res = await conn.readResponse();
      assert.equal(res.status, 200);
      assert.notEqual(res.header('connection'), 'close', 'the response keeps the connection alive');
      await conn.waitClosed({ timeoutMs: 5000 });
      // An idle connection is simply closed: no 408, nothing after the response.
      assert.equal(conn.buf.length, 0, `bytes after the response: ${conn.buf.toString('latin1')}`);
      conn.destroy();
    } finally {
      await host.stop();
    }
  });

  test('by default (60 s) an idle keep-alive connection is still open, and usable, after 1.5 s', async () => {
    const host = await startHost();
    try {
      const conn = await RawConnection.open(host.port);
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await conn.readResponse()).status, 200);
      // Waiting for nothing to happen: the wait is the point, and it must time out.
      await assert.rejects(conn.waitClosed({ timeoutMs: 1500 }), /timed out/);
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await conn.readResponse()).status, 200);
      conn.destroy();
    } finally {
      await host.stop();
    }
  });
});

describe('--io-timeout: request bodies', () => {
  test('a body that stalls (10 of 100 bytes) is answered 408 and the connection closes', async () => {
    const host = await startHost({ args: ['--io-timeout', '700'] });
    try {
      const conn = await RawConnection.open(host.port);
      await conn.write(echoHead(freshKey('stall'), 100) + '0123456789');
      const res = await conn.readResponse({ timeoutMs: 5000 });
      assert.equal(res.status, 408);
      assert.match(res.raw.toString('latin1'), /^HTTP\/1\.1 408 /);
      await conn.waitClosed({ timeoutMs: 5000 });
      conn.destroy();
      await assertHealthy(host);
    } finally {
      await host.stop();
    }
  });

  test('a streamed upload (4 MiB announced) that stalls after 2 MiB is closed; the actor serves on', async () => {
    const host = await startHost({ args: ['--io-timeout', '700'] });
    try {
      const key = freshKey('stall-big');
      const conn = await RawConnection.open(host.port);
      await conn.write(echoHead(key, 4 * MiB));
      await conn.write(Buffer.alloc(2 * MiB, 'a'));
      // A 408 may or may not come first; the close must.
      await conn.waitClosed({ timeoutMs: 5000 });
      if (conn.buf.length > 0) assert.match(conn.buf.toString('latin1'), /^HTTP\/1\.1 408 /);
      conn.destroy();
      const res = await actorFetch(host.url, getOrCreate('httpActor', key), '/api/echo', { method: 'POST', body: 'after' });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'after');
    } finally {
      await host.stop();
    }
  });
});

describe('--io-timeout: response writes', () => {
  test('a client that never reads an 8 MiB response is dropped once a write stalls past --io-timeout', async () => {
    // --max-pending-output 1024 (MiB) keeps the pending-output budget out of the way.
    const host = await startHost({ args: ['--io-timeout', '700', '--max-pending-output', '1024'] });
    try {
      const conn = await RawConnection.open(host.port);
      conn.socket.pause(); // never reads
      const body = Buffer.alloc(8 * MiB, 'b');
      await conn.write(echoHead(freshKey('no-read'), body.length));
      await conn.write(body);
      await serverClosed(host.port, conn.socket, 6000);
      // Reading now shows a response cut short, then the end of the connection.
      conn.socket.resume();
      await conn.waitClosed({ timeoutMs: 10_000 });
      assert.ok(conn.buf.length < body.length, `got ${conn.buf.length} bytes, not the whole 8 MiB response`);
      assert.match(conn.buf.subarray(0, 12).toString('latin1'), /^HTTP\/1\.1 200/);
      conn.destroy();
      await assertHealthy(host);
    } finally {
      await host.stop();
    }
  });
});

describe('the WebSocket keeper', () => {
  test('at shutdown a peer that never answers the Close 1001 is dropped after the close timeout, within the grace', async () => {
    const host = await startHost({ args: ['--shutdown-grace', '10000', '--ws-ping-interval', '60000'] });
    let conn;
    try {
      conn = await rawWebSocket(host.port, wsPath, wsProtocols(freshKey('no-close-answer')), { allowHalfOpen: true });
      const welcome = await conn.nextFrame();
      assert.equal(welcome.opcode, 1);
      assert.deepEqual(JSON.parse(welcome.payload.toString()), { type: 'welcome', connectionCount: 1 });
      const exit = host.signalAndWait('SIGTERM', 20_000);
      const close = await conn.nextFrame();
      assert.equal(close.opcode, 8, 'a Close frame');
      assert.equal(close.payload.readUInt16BE(0), 1001);
      // We answer nothing and keep our side open. Without the close timeout the host would wait
      // for the whole grace period (10 s) and log that it is over.
      const r = await exit;
      assert.deepEqual([r.code, r.signal], [0, null], `exit status; stderr:\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /grace period over/);
      assert.equal(r.stdout, `listening on ${host.url}\n`);
    } finally {
      conn?.destroy();
      await host.stop(); // a no-op once signalAndWait ran
    }
  });

  test('a peer that sends and never reads is dropped once a write stalls past --io-timeout; the host serves on', async () => {
    const host = await startHost({ args: ['--io-timeout', '700'] });
    const key = freshKey('ws-no-read');
    let conn;
    try {
      conn = await rawWebSocket(host.port, wsPath, wsProtocols(key));
      conn.socket.pause(); // never reads: every echo piles up
      const frame = wsFrame(1, Buffer.alloc(64 * 1024, 'x'));
      const closed = new Promise((resolve) => { if (conn.closed) resolve(); else conn.socket.once('close', resolve); });
      // Send until a write fails or the socket closes: the server's drop (a reset, since it
      // leaves our frames unread) fails the write that waits for room.
      const until = Date.now() + 10_000;
      let sent = 0;
      let writeError = null;
      while (!conn.closed && !writeError && sent < 1024 * MiB) {
        const left = until - Date.now();
        if (left <= 0) break;
        await withTimeout(Promise.race([conn.write(frame).catch((e) => { writeError = e; }), closed]), left, 'a write or the close')
          .catch(() => {});
        sent += frame.length;
      }
      assert.ok(conn.closed || writeError, `the server did not drop the socket within 10 s (${(sent / MiB).toFixed(0)} MiB sent)`);
      if (writeError) assert.match(writeError.code ?? '', /^(ECONNRESET|EPIPE)$/, `the write failed with ${writeError.message}`);
      await withTimeout(closed, 5000, 'the socket to close');
      await assertHealthy(host);
      // The actor's handler came back from the stalled send: a new socket is served.
      const again = await WsClient.open(host, wsPath, wsProtocols(key));
      assert.deepEqual(await again.json(), { type: 'welcome', connectionCount: 2 });
      await again.close(1000);
    } finally {
      conn?.destroy();
      await host.stop();
    }
  });
});

describe('periodic save of WebSocket handler changes', () => {
  test('messageCount, left to the 1 s sweep, survives SIGKILL', async () => {
    const dataDir = await makeDataDir('ws-sweep');
    const key = freshKey('sweep');
    let first;
    try {
      first = await startHost({ dataDir });
      const client = await WsClient.open(first, wsPath, wsProtocols(key));
      assert.deepEqual(await client.json(), { type: 'welcome', connectionCount: 1 });
      for (let i = 1; i <= 5; i += 1) {
        await client.send(`message ${i}`);
        assert.deepEqual(await client.json(), { type: 'echo', data: `message ${i}` });
      }
      // The sweep (every second) is the behaviour under test: give it two rounds, then crash
      // with the socket still open (no close, no shutdown commits anything).
      await sleep(2500);
      await first.kill('SIGKILL');
      client.ws.terminate();
      const second = await startHost({ dataDir });
      try {
        assert.deepEqual(await action(second, key, 'getStats'), { status: 200, body: { o: { connectionCount: 1, messageCount: 5 } } });
      } finally {
        await second.stop();
      }
    } finally {
      if (first && first.child.exitCode === null && first.child.signalCode === null) await first.kill('SIGKILL');
      await removeDataDir(dataDir);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// --log-level: what each level lets through, shown by one event of each level:
//   debug     a reader dropped for the pending-output budget ("dropping a connection ...")
//   info      "actorhost listening on", and "signal 15: shutting down" at SIGTERM
//   warn      "shutdown grace period over" (a stream that outlives a 300 ms grace)
//   critical  a start that fails (the data directory is a file)
// No line is logged at trace alone, so trace shows what debug shows.

const logLines = {
  debug: /\[debug\] dropping a connection that reads nothing/,
  info: /\[info\] actorhost listening on .*\n[^]*\[info\] signal 15: shutting down/,
  warn: /\[warning\] shutdown grace period over/,
  critical: /\[critical\] cannot create data directory/,
};
const levelShows = {
  trace: ['debug', 'info', 'warn', 'critical'],
  debug: ['debug', 'info', 'warn', 'critical'],
  info: ['info', 'warn', 'critical'],
  warn: ['warn', 'critical'],
  error: ['critical'],
  off: [],
};

/** Runs the events above on a host started with `logArgs`/`logEnv`: {running: stderr, failed: stderr}. */
async function logOfEvents({ logArgs = [], logEnv = {} }) {
  const dataDir = await makeDataDir('log');
  try {
    const host = await spawnHost({
      args: ['--port', '0', '--threads', '2', '--data-dir', dataDir, '--shutdown-grace', '300', '--max-pending-output', '1', ...logArgs],
      env: logEnv,
    });
    let r;
    try {
      // debug: an 8 MiB response nobody reads, over the 1 MiB budget, is dropped.
      const conn = await RawConnection.open(host.port);
      conn.socket.pause();
      const body = Buffer.alloc(8 * MiB, 'c');
      await conn.write(echoHead(freshKey('log-drop'), body.length));
      await conn.write(body);
      await serverClosed(host.port, conn.socket, 10_000);
      conn.destroy();
      // warn: a stream that outlives the grace period.
      const stream = await openEndlessStream(host.url);
      r = await host.signalAndWait('SIGTERM');
      stream.abort();
    } finally {
      if (!r) await host.signalAndWait('SIGKILL').catch(() => {});
    }
    assert.deepEqual([r.code, r.signal], [0, null], `exit status; stderr:\n${r.stderr}`);
    const notADir = path.join(dataDir, 'file');
    writeFileSync(notADir, '');
    const failed = await runBinary(['--port', '0', '--data-dir', notADir, ...logArgs], { env: logEnv });
    assert.equal(failed.code, 1, `a start on a data directory that is a file fails; stderr:\n${failed.stderr}`);
    return { running: r.stderr, failed: failed.stderr };
  } finally {
    await removeDataDir(dataDir);
  }
}

function assertShows(logs, level) {
  const all = `${logs.running}${logs.failed}`;
  for (const [kind, re] of Object.entries(logLines)) {
    if (levelShows[level].includes(kind)) assert.match(all, re, `--log-level ${level} shows ${kind} lines; stderr:\n${all}`);
    else assert.doesNotMatch(all, re, `--log-level ${level} hides ${kind} lines; stderr:\n${all}`);
  }
  if (level === 'off') assert.equal(all, '', 'off: nothing on stderr');
}

describe('--log-level', () => {
  for (const level of Object.keys(levelShows)) {
    test(`--log-level ${level}: ${levelShows[level].join(', ') || 'nothing'} on stderr`, async () => {
      assertShows(await logOfEvents({ logArgs: ['--log-level', level] }), level);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Every ACTORHOST_* variable of the README's flag table, each through an effect of its own.

/** The environment that sets variable `name` to `value`. */
const setting = (name, value) => ({ [name]: value });

/** A host from startHost (flags --port, --threads, --data-dir, --log-level are its own) with `env`. */
const hostWith = (env, options = {}) => startHost({ env, ...options });

describe('configuration through ACTORHOST_* variables', () => {
  test('ACTORHOST_HOST: the host listens on that address and no other', async () => {
    const dataDir = await makeDataDir('env-host');
    try {
      const host = await spawnHost({ args: ['--port', '0', '--data-dir', dataDir], env: setting('ACTORHOST_HOST', '127.0.0.2') });
      try {
        assert.equal(host.url, `http://127.0.0.2:${host.port}`);
        await assertHealthy(host);
        assert.equal(await connectOutcome('127.0.0.1', host.port), 'ECONNREFUSED', 'nothing listens on 127.0.0.1');
      } finally {
        await host.stop();
      }
    } finally {
      await removeDataDir(dataDir);
    }
  });

  test('ACTORHOST_PORT: the host listens on that port', async () => {
    const dataDir = await makeDataDir('env-port');
    try {
      const port = await freePort();
      const host = await spawnHost({ args: ['--data-dir', dataDir], env: setting('ACTORHOST_PORT', String(port)) });
      try {
        assert.equal(host.port, port);
        await assertHealthy(host);
      } finally {
        await host.stop();
      }
    } finally {
      await removeDataDir(dataDir);
    }
  });

  test('ACTORHOST_THREADS=3 and --threads 1: the startup line names the worker threads', async () => {
    const dataDir = await makeDataDir('env-threads');
    try {
      const fromEnv = await spawnHost({ args: ['--port', '0', '--data-dir', dataDir, '--log-level', 'info'], env: setting('ACTORHOST_THREADS', '3') });
      const r1 = await fromEnv.stop();
      assert.match(r1.stderr, /actorhost listening on \S+ with 3 worker thread\(s\)/);
      const fromFlag = await spawnHost({ args: ['--port', '0', '--data-dir', dataDir, '--log-level', 'info', '--threads', '1'] });
      const r2 = await fromFlag.stop();
      assert.match(r2.stderr, /actorhost listening on \S+ with 1 worker thread\(s\)/);
    } finally {
      await removeDataDir(dataDir);
    }
  });

  test('ACTORHOST_DATA_DIR: the LMDB environment is made there, and state survives a restart on it', async () => {
    const dataDir = await makeDataDir('env-data');
    try {
      const key = freshKey('env-data');
      const first = await spawnHost({ args: ['--port', '0', '--log-level', 'info'], env: setting('ACTORHOST_DATA_DIR', dataDir) });
      let stored;
      let r;
      try {
        const res = await actorFetch(first.url, getOrCreate('httpActor', key), '/api/increment', { method: 'POST' });
        stored = await res.json();
      } finally {
        r = await first.stop();
      }
      assert.deepEqual(stored, { count: 1 });
      assert.ok(existsSync(path.join(dataDir, 'data.mdb')), 'data.mdb is in ACTORHOST_DATA_DIR');
      assert.ok(r.stderr.includes(`data in ${dataDir} `), `the startup line names the directory; stderr:\n${r.stderr}`);
      const second = await spawnHost({ args: ['--port', '0'], env: setting('ACTORHOST_DATA_DIR', dataDir) });
      try {
        const again = await actorFetch(second.url, getOrCreate('httpActor', key), '/api/increment', { method: 'POST' });
        assert.deepEqual(await again.json(), { count: 2 });
      } finally {
        await second.stop();
      }
    } finally {
      await removeDataDir(dataDir);
    }
  });

  test('ACTORHOST_RELAXED_DURABILITY=1: the startup line says relaxed (durable without it)', async () => {
    const relaxed = await hostWith(setting('ACTORHOST_RELAXED_DURABILITY', '1'), { logLevel: 'info' });
    await relaxed.stop();
    assert.match(relaxed.stderr(), /actorhost listening on .* \(relaxed\)/);
    const durable = await hostWith({}, { logLevel: 'info' });
    await durable.stop();
    assert.match(durable.stderr(), /actorhost listening on .* \(durable\)/);
  });

  test('ACTORHOST_ACTOR_IDLE_TIMEOUT is read as --actor-idle-timeout: an idle actor sleeps after it (the debug log says so)', async () => {
    const dataDir = await makeDataDir('env-idle');
    try {
      const r = await runBinary(['--port', '0', '--data-dir', dataDir], { env: setting('ACTORHOST_ACTOR_IDLE_TIMEOUT', '0') });
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /actor-idle-timeout/);
      const host = await spawnHost({ args: ['--port', '0', '--data-dir', dataDir, '--log-level', 'debug'],
        env: setting('ACTORHOST_ACTOR_IDLE_TIMEOUT', '200') });
      try {
        const key = freshKey('env-idle');
        const res = await actorFetch(host.url, getOrCreate('httpActor', key), '/api/hello');
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        const line = new RegExp(`actor httpActor ${actorId('httpActor', key)} sleeps \\(idle\\)`);
        // The default idle timeout is 30 s: a sleep within 10 s shows the variable was read.
        await withTimeout((async () => {
          while (!line.test(host.stderr())) await new Promise((r2) => { setTimeout(r2, 50); });
        })(), 10_000, () => `the actor to sleep; stderr:\n${host.stderr().slice(-2000)}`);
      } finally {
        await host.stop();
      }
    } finally {
      await removeDataDir(dataDir);
    }
  });

  /**
   * Four 900 KiB users POSTed to one fresh honoActor on `host` (each body under the 1 MiB that
   * would make it stream): the statuses of the four answers, and the error codes of any failure.
   */
  async function bigUsers(host) {
    const q = getOrCreate('honoActor', freshKey('big'));
    const statuses = [];
    const codes = new Set();
    for (let i = 0; i < 4; i += 1) {
      const res = await actorFetch(host.url, q, '/users', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: String(i).repeat(900 * 1024) }),
      });
      const e = await errorOf(res);
      statuses.push(e.status);
      if (e.status !== 201) codes.add(e.body?.c);
    }
    return { statuses, codes: [...codes] };
  }

  /** Asserts that some of the users could not be stored (500 internal_error, MDB_MAP_FULL in the log). */
  async function assertMapFull(host, { statuses, codes }) {
    assert.ok(statuses.includes(500), `a 3.6 MiB state is refused in a 1 MiB map; statuses ${statuses}`);
    assert.deepEqual(statuses.filter((s) => s !== 201 && s !== 500), []);
    assert.deepEqual(codes, ['internal_error']);
    // (stderr is a pipe of its own: the line may come after the answers.)
    await withTimeout((async () => {
      while (!/MDB_MAP_FULL/.test(host.stderr())) await new Promise((r) => { setTimeout(r, 20); });
    })(), 5000, () => `MDB_MAP_FULL in the log; stderr:\n${host.stderr().slice(-2000)}`);
  }

  test('ACTORHOST_MAP_SIZE=1 (with --max-map-size 1): a 3.6 MiB state cannot be stored; in the default 64 MiB it can', async () => {
    const small = await hostWith(setting('ACTORHOST_MAP_SIZE', '1'), { args: ['--max-map-size', '1'] });
    try {
      await assertMapFull(small, await bigUsers(small));
    } finally {
      await small.stop();
    }
    // --max-map-size is raised to --map-size when smaller: without the variable the map is 64 MiB.
    const roomy = await hostWith({}, { args: ['--max-map-size', '1'] });
    try {
      assert.deepEqual((await bigUsers(roomy)).statuses, [201, 201, 201, 201]);
    } finally {
      await roomy.stop();
    }
  });

  test('ACTORHOST_MAX_MAP_SIZE=1 (with --map-size 1): a 3.6 MiB state cannot be stored; without it the map grows', async () => {
    const capped = await hostWith(setting('ACTORHOST_MAX_MAP_SIZE', '1'), { args: ['--map-size', '1'] });
    try {
      await assertMapFull(capped, await bigUsers(capped));
    } finally {
      await capped.stop();
    }
    const growing = await hostWith({}, { args: ['--map-size', '1'] });
    try {
      assert.deepEqual((await bigUsers(growing)).statuses, [201, 201, 201, 201]);
    } finally {
      await growing.stop();
    }
  });

  test('ACTORHOST_LOG_LEVEL=warn hides the info lines the default (info) shows', async () => {
    const dataDir = await makeDataDir('env-log');
    try {
      const quiet = await spawnHost({ args: ['--port', '0', '--data-dir', dataDir], env: setting('ACTORHOST_LOG_LEVEL', 'warn') });
      const r1 = await quiet.stop();
      assert.doesNotMatch(r1.stderr, /actorhost listening on/);
      const chatty = await spawnHost({ args: ['--port', '0', '--data-dir', dataDir] });
      const r2 = await chatty.stop();
      assert.match(r2.stderr, /\[info\] actorhost listening on/);
    } finally {
      await removeDataDir(dataDir);
    }
  });

  test('ACTORHOST_MAX_BODY=100: a 200-byte body is 413, a 100-byte one is echoed', async () => {
    const host = await hostWith(setting('ACTORHOST_MAX_BODY', '100'));
    try {
      const q = getOrCreate('httpActor', freshKey('env-body'));
      const big = await actorFetch(host.url, q, '/api/echo', { method: 'POST', body: 'x'.repeat(200) });
      assert.equal(big.status, 413);
      await big.arrayBuffer();
      const ok = await actorFetch(host.url, q, '/api/echo', { method: 'POST', body: 'y'.repeat(100) });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'y'.repeat(100));
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_HEADER_TIMEOUT=700: a request head that stops short is answered 408 and closed', async () => {
    const host = await hostWith(setting('ACTORHOST_HEADER_TIMEOUT', '700'));
    try {
      const conn = await RawConnection.open(host.port);
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n');
      assert.equal((await conn.readResponse({ timeoutMs: 5000 })).status, 408);
      await conn.waitClosed({ timeoutMs: 5000 });
      conn.destroy();
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_IDLE_TIMEOUT=700: an idle keep-alive connection is closed', async () => {
    const host = await hostWith(setting('ACTORHOST_IDLE_TIMEOUT', '700'));
    try {
      const conn = await RawConnection.open(host.port);
      await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await conn.readResponse()).status, 200);
      await conn.waitClosed({ timeoutMs: 5000 });
      conn.destroy();
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_IO_TIMEOUT=700: a body that stalls is answered 408', async () => {
    const host = await hostWith(setting('ACTORHOST_IO_TIMEOUT', '700'));
    try {
      const conn = await RawConnection.open(host.port);
      await conn.write(echoHead(freshKey('env-io'), 100) + '0123456789');
      assert.equal((await conn.readResponse({ timeoutMs: 5000 })).status, 408);
      await conn.waitClosed({ timeoutMs: 5000 });
      conn.destroy();
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_SHUTDOWN_GRACE=300: shutdown gives in-flight requests 300 ms, then closes them and exits 0', async () => {
    const host = await hostWith(setting('ACTORHOST_SHUTDOWN_GRACE', '300'), { logLevel: 'info' });
    let stream;
    let r;
    try {
      stream = await openEndlessStream(host.url);
    } finally {
      // SIGTERM with the stream in flight (or, if it could not be opened, to stop the host).
      r = await host.signalAndWait('SIGTERM');
    }
    stream.abort();
    assert.deepEqual([r.code, r.signal], [0, null]);
    assert.match(r.stderr, /shutting down \(grace 300 ms\)/);
    assert.match(r.stderr, /shutdown grace period over; closing \d+ connection/);
    assert.equal(r.stdout, `listening on ${host.url}\n`);
  });

  test('ACTORHOST_CORS_ORIGINS: a listed origin is granted with credentials, another is not', async () => {
    const host = await hostWith(setting('ACTORHOST_CORS_ORIGINS', 'http://env.example'));
    try {
      const get = (origin) => fetch(`${host.url}/health`, { headers: { Origin: origin }, signal: AbortSignal.timeout(10_000) });
      const listed = await get('http://env.example');
      assert.equal(listed.headers.get('access-control-allow-origin'), 'http://env.example');
      assert.equal(listed.headers.get('access-control-allow-credentials'), 'true');
      await listed.arrayBuffer();
      const other = await get('http://other.example');
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      await other.arrayBuffer();
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_NO_CORS=1: no CORS headers, where the default grants any origin', async () => {
    const get = async (host) => {
      const res = await fetch(`${host.url}/health`, { headers: { Origin: 'https://app.example' }, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      return res.headers.get('access-control-allow-origin');
    };
    const off = await hostWith(setting('ACTORHOST_NO_CORS', '1'));
    try {
      assert.equal(await get(off), null);
    } finally {
      await off.stop();
    }
    const on = await hostWith({});
    try {
      assert.equal(await get(on), '*');
    } finally {
      await on.stop();
    }
  });

  test('ACTORHOST_WS_MAX_MESSAGE=100: a 100-byte message is echoed, a 200-byte one closes the socket with 1009', async () => {
    const host = await hostWith(setting('ACTORHOST_WS_MAX_MESSAGE', '100'));
    try {
      const client = await WsClient.open(host, wsPath, wsProtocols(freshKey('env-ws-max')));
      assert.equal((await client.json()).type, 'welcome');
      await client.send('a'.repeat(100));
      assert.deepEqual(await client.json(), { type: 'echo', data: 'a'.repeat(100) });
      await client.send('b'.repeat(200));
      assert.equal((await client.waitClosed()).code, 1009);
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_WS_PING_INTERVAL=300: a silent client is pinged', async () => {
    const host = await hostWith(setting('ACTORHOST_WS_PING_INTERVAL', '300'));
    try {
      const client = await WsClient.open(host, wsPath, wsProtocols(freshKey('env-ping')));
      const pinged = new Promise((resolve) => { client.ws.once('ping', resolve); });
      assert.equal((await client.json()).type, 'welcome');
      // The default interval is 30 s: a ping within 5 s comes from the variable.
      await withTimeout(pinged, 5000, 'a ping from the server');
      await client.close(1000);
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_MAX_PENDING_OUTPUT=1: a reader that takes nothing of an 8 MiB response is dropped', async () => {
    // The write deadline (--io-timeout) stays at its 30 s: only the budget can drop it this soon.
    const host = await hostWith(setting('ACTORHOST_MAX_PENDING_OUTPUT', '1'));
    try {
      const conn = await RawConnection.open(host.port);
      conn.socket.pause();
      const body = Buffer.alloc(8 * MiB, 'p');
      await conn.write(echoHead(freshKey('env-pending'), body.length));
      await conn.write(body);
      await serverClosed(host.port, conn.socket, 6000);
      conn.destroy();
      await assertHealthy(host);
    } finally {
      await host.stop();
    }
  });

  test('ACTORHOST_MAX_CREATES_PER_SECOND=0.001: a second new actor of the name is 429 rate_limited; the first serves on', async () => {
    const host = await hostWith(setting('ACTORHOST_MAX_CREATES_PER_SECOND', '0.001'));
    try {
      const first = getOrCreate('httpActor', freshKey('env-rate'));
      const a = await actorFetch(host.url, first, '/api/hello');
      assert.equal(a.status, 200);
      await a.arrayBuffer();
      const b = await errorOf(await actorFetch(host.url, getOrCreate('httpActor', freshKey('env-rate')), '/api/hello'));
      assert.equal(b.status, 429);
      assert.equal(b.body.c, 'rate_limited');
      const again = await actorFetch(host.url, first, '/api/stats');
      assert.deepEqual(await again.json(), { requestCount: 2 });
    } finally {
      await host.stop();
    }
  });
});
