// The binary as an operator runs it: flags and their environment variables, the one
// `listening on` line, and SIGINT/SIGTERM shutdown that lets in-flight requests finish.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';

import {
  actorFetch, freshKey, getOrCreate, RawConnection, runBinary, startHost, withTimeout,
} from './lib/host.mjs';

describe('command line', () => {
  test('--help exits 0 and names every flag', async () => {
    const r = await runBinary(['--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--host', '--port', '--threads', '--data-dir', '--log-level', '--max-body', '--shutdown-grace', '--cors-origins', '--no-cors']) {
      assert.ok(r.stdout.includes(flag), `--help mentions ${flag}`);
    }
    for (const env of ['ACTORHOST_HOST', 'ACTORHOST_PORT', 'ACTORHOST_THREADS', 'ACTORHOST_DATA_DIR', 'ACTORHOST_LOG_LEVEL']) {
      assert.ok(r.stdout.includes(env), `--help mentions ${env}`);
    }
  });

  test('an unknown flag fails with a non-zero exit and a message', async () => {
    const r = await runBinary(['--no-such-flag']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /no-such-flag/);
  });

  test('stdout holds exactly the listening line; a clean SIGTERM exits 0', async () => {
    const host = await startHost();
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${host.url}/health`, { signal: AbortSignal.timeout(5000) });
    assert.equal(await res.text(), 'ok');
    await host.stop(); // asserts exit code 0 and the single stdout line
  });

  test('ACTORHOST_MAX_BODY in the environment sets the body cap', async () => {
    const host = await startHost({ env: { ACTORHOST_MAX_BODY: '100' } });
    try {
      const q = getOrCreate('httpActor', freshKey('env'));
      const ok = await actorFetch(host.url, q, '/api/echo', { method: 'POST', body: 'x'.repeat(100) });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
      const big = await actorFetch(host.url, q, '/api/echo', { method: 'POST', body: 'x'.repeat(101) });
      assert.equal(big.status, 413);
      await big.arrayBuffer();
    } finally {
      await host.stop();
    }
  });

  test('a flag wins over its environment variable', async () => {
    const host = await startHost({ args: ['--max-body', '200'], env: { ACTORHOST_MAX_BODY: '100' } });
    try {
      const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('env')), '/api/echo', { method: 'POST', body: 'x'.repeat(150) });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      await host.stop();
    }
  });

  test('a second host on a port that is in use fails to start instead of sharing it', async () => {
    const first = await startHost();
    try {
      let second;
      try {
        second = await startHost({ port: first.port, timeoutMs: 5000 });
      } catch (err) {
        assert.match(err.message, /exited before listening/);
        return;
      }
      await second.stop();
      assert.fail(`a second actorhost started on port ${first.port}, which the first one holds: ` +
        'the kernel now splits connections (and actor instances) between two processes');
    } finally {
      await first.stop();
    }
  });
});

describe('shutdown', () => {
  test('SIGINT exits 0', async () => {
    const host = await startHost();
    const r = await host.signalAndWait('SIGINT');
    assert.equal(r.code, 0);
    assert.equal(r.signal, null);
  });

  test('SIGTERM lets an in-flight streamed response finish, refuses new connections, then exits 0', async () => {
    const host = await startHost();
    // Three events 2 s apart: the stream cannot end for 4 s after its first event, so the
    // listener's close is looked for while the stream is surely in flight.
    const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('drain')), '/api/events?count=3&interval=2000');
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    let text = Buffer.from((await withTimeout(reader.read(), 10_000, 'the first event')).value).toString();

    const exit = host.signalAndWait('SIGTERM');
    // The rest of the stream is read from now on; `streamDone` says when it has ended.
    let streamDone = false;
    const rest = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      streamDone = true;
    })();
    rest.catch(() => {});

    // New connections are refused while the stream drains (the process is still running and
    // the stream has not ended).
    let refusedWhileStreaming = false;
    const until = Date.now() + 10_000;
    while (!refusedWhileStreaming && !streamDone && Date.now() < until) {
      const socket = net.connect(host.port, '127.0.0.1');
      const outcome = await withTimeout(new Promise((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('error', (e) => resolve(e.code));
      }), 5000, 'a connection attempt during shutdown');
      socket.destroy();
      refusedWhileStreaming = outcome === 'ECONNREFUSED' && !streamDone && host.child.exitCode === null;
      if (!refusedWhileStreaming) await new Promise((r) => setImmediate(r));
    }
    assert.ok(refusedWhileStreaming, streamDone
      ? 'the stream ended before a new connection was refused'
      : 'no new connection was refused within 10 s of SIGTERM while the stream was in flight');

    await withTimeout(rest, 15_000, 'the rest of the stream');
    assert.equal(text.match(/^id: /gm).length, 3, 'all three events arrived');
    const r = await exit;
    assert.equal(r.code, 0);
    assert.equal(r.signal, null);
  });

  test('an idle keep-alive connection does not hold up shutdown', async () => {
    const host = await startHost(); // default grace: 10 s
    const conn = await RawConnection.open(host.port);
    await conn.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await conn.readResponse()).status, 200);
    const r = await host.signalAndWait('SIGTERM');
    assert.equal(r.code, 0);
    // Closed at once, not waited for until the 10 s grace ran out.
    assert.doesNotMatch(r.stderr, /grace period over/, r.stderr);
    await conn.waitClosed();
  });

  test('--shutdown-grace bounds how long a never-ending stream can delay the exit', async () => {
    const host = await startHost({ args: ['--shutdown-grace', '300'] });
    const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('grace')), '/api/events?count=1000&interval=100');
    const reader = res.body.getReader();
    await withTimeout(reader.read(), 5000, 'the first event');
    const r = await host.signalAndWait('SIGTERM');
    assert.equal(r.code, 0);
    // The grace is what ended it: the host says so (rather than the stream ending by itself).
    assert.match(r.stderr, /grace period over/, r.stderr);
    // The cut stream ends in an error for the client rather than hanging.
    await assert.rejects(withTimeout((async () => { for (;;) { if ((await reader.read()).done) return; } })(), 5000, 'the stream to end'),
      (err) => !/timed out/.test(err.message));
  });
});
