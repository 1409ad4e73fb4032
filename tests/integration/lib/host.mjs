// Test harness for the real actorhost binary: start it on an ephemeral port with a fresh data
// directory (or one the test owns and reuses across restarts), wait for its one
// `listening on ...` line (never a sleep), stop it with SIGTERM and check it exits 0, or kill
// it with any signal. Also small helpers the tests share: actor query headers, the deterministic
// actor id (SPEC §2), and a raw HTTP/1.1 connection over node:net for protocol edge cases that
// `fetch` hides (pipelining, malformed input, 100-continue, HEAD, chunked bodies, limits).
//
// Every wait here is bounded by a timeout and rejects with what was seen so far.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LISTENING = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

/** Path of the binary under test; fails clearly when the environment does not name one. */
export function actorhostBin() {
  const bin = process.env.ACTORHOST_BIN;
  if (!bin) {
    throw new Error('ACTORHOST_BIN is not set: point it at the built actorhost binary, e.g. ' +
      'ACTORHOST_BIN=build/app/actorhost node --test tests/integration/');
  }
  return bin;
}

/** Rejects after `ms` with `message`; the timer never keeps the process alive. */
function deadline(ms, message) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
    timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Resolves with `promise`'s value or rejects once `ms` have passed. `what` may be a function. */
export async function withTimeout(promise, ms, what) {
  const d = deadline(ms, () => `timed out after ${ms} ms: ${typeof what === 'function' ? what() : what}`);
  try {
    return await Promise.race([promise, d.promise]);
  } finally {
    d.cancel();
  }
}

// Hosts still running when this test process ends (a test that failed before its stop(), a
// runner timeout) are killed, so no server outlives its test file.
const liveChildren = new Set();
const liveDataDirs = new Set();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const dir of liveDataDirs) rmSync(dir, { recursive: true, force: true });
});
function track(child) {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

/** The environment for the child: ours, minus any ACTORHOST_* setting, plus `env`. */
function childEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ACTORHOST_')) out[k] = v;
  return { ...out, ...env };
}

/**
 * Runs the binary to completion (for --help and the like): {code, signal, stdout, stderr}.
 */
export async function runBinary(args, { env = {}, timeoutMs = 10_000 } = {}) {
  const child = track(spawn(actorhostBin(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(env) }));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  try {
    // 'close' comes after the exit and after stdout and stderr have been read to the end.
    const [code, signal] = await withTimeout(once(child, 'close'), timeoutMs, `actorhost ${args.join(' ')}`);
    return { code, signal, stdout, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * A temporary data directory that the caller owns (startHost leaves it in place, so several
 * hosts can run on it one after another); removed when the test process exits, or earlier by
 * removeDataDir().
 */
export async function makeDataDir(label = 'data') {
  const dir = await mkdtemp(path.join(tmpdir(), `actorhost-it-${label}-`));
  liveDataDirs.add(dir);
  return dir;
}

/** Removes a directory made by makeDataDir(). */
export async function removeDataDir(dir) {
  await rm(dir, { recursive: true, force: true });
  liveDataDirs.delete(dir);
}

/**
 * Starts actorhost on 127.0.0.1, port `port` (0: any free one), `threads` threads (2), with
 * `dataDir` as its data directory, or a fresh temporary one when none is given (that one is
 * removed when the host is stopped or killed; a given one never is).
 * `args` are appended to the command line; `env` is added to the environment (ACTORHOST_*
 * variables of the caller are not inherited, so the tests see the defaults).
 * Returns {url, port, dataDir, child, exited, stderr(), stdout(), signalAndWait(signal, ms),
 * kill(signal, ms), stop()}.
 */
export async function startHost({ args = [], env = {}, port = 0, timeoutMs = 10_000, dataDir: givenDataDir, threads = 2,
  launcher = [], logLevel = 'warn' } = {}) {
  const bin = actorhostBin();
  const ownsDataDir = givenDataDir === undefined;
  const dataDir = ownsDataDir ? await mkdtemp(path.join(tmpdir(), 'actorhost-it-')) : givenDataDir;
  if (ownsDataDir) liveDataDirs.add(dataDir);
  const removeOwnDataDir = async () => {
    if (!ownsDataDir) return;
    await rm(dataDir, { recursive: true, force: true });
    liveDataDirs.delete(dataDir);
  };
  // `launcher` runs the binary through another command (e.g. prlimit with its arguments).
  const argv = [bin, '--port', String(port), '--threads', String(threads), '--data-dir', dataDir, '--log-level', logLevel, ...args];
  const command = [...launcher, ...argv];
  const child = track(spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(env) }));

  let stdout = '';
  let stderrText = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderrText += d;
    if (stderrText.length > 4 * 1024 * 1024) stderrText = stderrText.slice(-2 * 1024 * 1024);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        const m = LISTENING.exec(stdout.slice(0, nl));
        if (m) resolve({ url: m[1], port: Number(m[2]) });
        else reject(new Error(`unexpected first stdout line from actorhost: ${JSON.stringify(stdout.slice(0, nl))}`));
      }
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`actorhost exited before listening (code ${code}, signal ${signal}); stderr:\n${stderrText}`)));
  });

  let listening;
  try {
    listening = await withTimeout(ready, timeoutMs, () => `actorhost to print its listening line; stderr:\n${stderrText}`);
  } catch (err) {
    child.kill('SIGKILL');
    await withTimeout(exited, timeoutMs, 'actorhost to exit after SIGKILL').catch(() => {});
    await removeOwnDataDir();
    throw err;
  }

  let stopped = false;
  const host = {
    ...listening,
    dataDir,
    child,
    exited,
    stderr: () => stderrText,
    stdout: () => stdout,
    /**
     * Sends `signal` (SIGTERM), waits for the exit, and returns {code, signal, stdout, stderr}
     * whatever the exit status was. Removes the data directory only if startHost made it.
     */
    async signalAndWait(signal = 'SIGTERM', waitMs = 20_000) {
      stopped = true;
      child.kill(signal);
      try {
        const result = await withTimeout(exited, waitMs, `actorhost to exit after ${signal}`);
        return { ...result, stdout, stderr: stderrText };
      } catch (err) {
        child.kill('SIGKILL');
        await withTimeout(exited, 5000, 'actorhost to exit after SIGKILL').catch(() => {});
        throw err;
      } finally {
        await removeOwnDataDir();
      }
    },
    /** Kills the host with `signal` (SIGKILL) and waits for it to be gone; no exit status is required. */
    kill(signal = 'SIGKILL', waitMs = 10_000) {
      return host.signalAndWait(signal, waitMs);
    },
    /** SIGTERM, then insists on exit code 0 and on exactly one line on stdout. */
    async stop() {
      if (stopped) return;
      const r = await host.signalAndWait('SIGTERM');
      if (r.code !== 0 || r.signal !== null) {
        throw new Error(`actorhost exited with code ${r.code}, signal ${r.signal} after SIGTERM; stderr:\n${r.stderr}`);
      }
      if (r.stdout !== `listening on ${listening.url}\n`) {
        throw new Error(`actorhost wrote more than its one listening line to stdout: ${JSON.stringify(r.stdout)}`);
      }
    },
  };
  return host;
}

// ---------------------------------------------------------------------------------------------
// Actor addressing (SPEC §2)

/** The deterministic actor id: first 8 bytes of sha256(JSON.stringify([name, key])), hex. */
export function actorId(name, key) {
  return createHash('sha256').update(JSON.stringify([name, key]), 'utf8').digest('hex').slice(0, 16);
}

/**
 * A header value holding `value` as JSON, UTF-8 encoded. Header values are byte strings, so
 * non-ASCII text goes on the wire as its UTF-8 bytes (carried here as a latin1 string).
 */
export function jsonHeader(value) {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('latin1');
}

export const getOrCreate = (name, key, input) =>
  ({ getOrCreateForKey: input === undefined ? { name, key } : { name, key, input } });
export const getForKey = (name, key) => ({ getForKey: { name, key } });
export const getForId = (id) => ({ getForId: { actorId: id } });
export const create = (name, key, input) => ({ create: input === undefined ? { name, key } : { name, key, input } });

/** A key unique to this process and call, so tests never share actor instances by accident. */
let keyCounter = 0;
export function freshKey(label = 'k') {
  keyCounter += 1;
  return [`${label}-${process.pid}-${keyCounter}-${Math.random().toString(36).slice(2, 8)}`];
}

/**
 * fetch() to an actor's raw HTTP route. `query` is the query object; `path` starts with '/'.
 * `form` is 'seed' (/registry/actors/{name}/raw/http, the default when the query names the
 * actor), 'wire' (/registry/actors/raw/http), or either without the /registry prefix
 * ('seed-bare', 'wire-bare').
 */
export function actorFetch(baseUrl, query, pathAndSearch, init = {}, { form, connParams, header = 'X-RivetKit-Actor-Query' } = {}) {
  const name = Object.values(query)[0]?.name;
  // A getForId query names no actor, so by default it takes the wire form.
  form ??= name === undefined ? 'wire' : 'seed';
  const prefix = {
    seed: `/registry/actors/${name}/raw/http`,
    wire: '/registry/actors/raw/http',
    'seed-bare': `/actors/${name}/raw/http`,
    'wire-bare': '/actors/raw/http',
  }[form];
  const headers = new Headers(init.headers ?? {});
  headers.set(header, jsonHeader(query));
  if (connParams !== undefined) headers.set('X-RivetKit-Conn-Params', jsonHeader(connParams));
  return fetch(`${baseUrl}${prefix}${pathAndSearch}`, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(15_000) });
}

/** Asserts-friendly view of an error response: {status, contentType, body}. */
export async function errorOf(res) {
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over a socket

/**
 * Parses one HTTP/1.1 response from the front of `buf`. Returns null when more bytes are
 * needed, else {response, rest}. `head` marks a response to HEAD (no body whatever the
 * headers say); `eof` says the peer closed, which ends a body framed by close.
 * response = {status, reason, version, headers: Map(lower-case name -> [values]), header(name),
 *             body: Buffer, chunked, raw: Buffer (head bytes)}.
 */
export function parseResponse(buf, { head = false, eof = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const headText = buf.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = headText.split('\r\n');
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine);
  if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers = new Map();
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`bad header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (!headers.has(name)) headers.set(name, []);
    headers.get(name).push(value);
  }
  const status = Number(m[2]);
  const response = {
    version: m[1], status, reason: m[3], headers,
    header: (n) => headers.get(n.toLowerCase())?.join(', ') ?? null,
    raw: buf.subarray(0, end + 4), chunked: false, body: Buffer.alloc(0),
  };
  let pos = end + 4;
  const noBody = head || (status >= 100 && status < 200) || status === 204 || status === 304;
  if (noBody) return { response, rest: buf.subarray(pos) };
  const te = response.header('transfer-encoding');
  if (te && /chunked/i.test(te)) {
    response.chunked = true;
    const parts = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0], 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size line');
      pos = lineEnd + 2;
      if (size === 0) {
        // trailers until an empty line
        for (;;) {
          const tEnd = buf.indexOf('\r\n', pos);
          if (tEnd < 0) return null;
          const empty = tEnd === pos;
          pos = tEnd + 2;
          if (empty) break;
        }
        response.body = Buffer.concat(parts);
        return { response, rest: buf.subarray(pos) };
      }
      if (buf.length < pos + size + 2) return null;
      parts.push(buf.subarray(pos, pos + size));
      pos += size + 2;
    }
  }
  const cl = response.header('content-length');
  if (cl !== null) {
    const n = Number(cl);
    if (buf.length < pos + n) return null;
    response.body = buf.subarray(pos, pos + n);
    return { response, rest: buf.subarray(pos + n) };
  }
  if (!eof) return null; // body delimited by close
  response.body = buf.subarray(pos);
  return { response, rest: Buffer.alloc(0) };
}

/** One client connection that reads responses as they arrive; every read has a deadline. */
export class RawConnection {
  static async open(port, { timeoutMs = 5000 } = {}) {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await withTimeout(once(socket, 'connect'), timeoutMs, `connect to 127.0.0.1:${port}`);
    return new RawConnection(socket);
  }

  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.ended = false;      // peer sent FIN
    this.closed = false;     // socket fully closed
    this.error = null;
    this.wake = null;
    socket.on('data', (d) => { this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d; this.notify(); });
    socket.on('end', () => { this.ended = true; this.notify(); });
    socket.on('error', (e) => { this.error = e; this.notify(); });
    socket.on('close', () => { this.closed = true; this.ended = true; this.notify(); });
  }

  notify() {
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  /** Waits for the next socket event (data, end, error, close) or the deadline. */
  async changed(until, what) {
    const seen = () => `${what}; received so far: ${JSON.stringify(this.buf.toString('latin1').slice(0, 500))}`;
    const left = until - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${seen()}`);
    await withTimeout(new Promise((r) => { this.wake = r; }), left, seen);
  }

  write(data) {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** The next complete response; `head` for a response to HEAD. */
  async readResponse({ head = false, timeoutMs = 5000 } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.buf, { head, eof: this.ended });
      if (parsed) {
        this.buf = parsed.rest;
        return parsed.response;
      }
      if (this.ended) {
        throw new Error(`connection closed before a full response; received: ${JSON.stringify(this.buf.toString('latin1').slice(0, 500))}` +
          (this.error ? ` (${this.error.code})` : ''));
      }
      await this.changed(until, 'a response');
    }
  }

  /** Resolves when the peer has closed the connection (FIN or reset); rejects at the deadline. */
  async waitClosed({ timeoutMs = 5000 } = {}) {
    const until = Date.now() + timeoutMs;
    while (!this.ended) await this.changed(until, 'the server to close the connection');
  }

  destroy() {
    this.socket.destroy();
  }
}

/** Sends `bytes` on a fresh connection and returns the first response (and the connection). */
export async function rawExchange(port, bytes, opts = {}) {
  const conn = await RawConnection.open(port);
  await conn.write(bytes);
  const response = await conn.readResponse(opts);
  return { response, conn };
}
