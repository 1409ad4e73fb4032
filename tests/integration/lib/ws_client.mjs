// A WebSocket client for the integration tests, on Node's `ws` package (a devDependency in
// package.json; `npm ci` in tests/integration, which scripts/test runs): messages queue as they
// arrive, so a test reads them in order with next() and the close with `closed`; every wait
// has a deadline.
import assert from 'node:assert/strict';

import { withTimeout } from './host.mjs';

const { default: WebSocket } = await import('ws').catch((err) => {
  throw new Error(`the ws package is missing: run \`npm ci\` in tests/integration (${err.message})`);
});

export { WebSocket };

const MiB = 1024 * 1024;
const WAIT_MS = 15_000;

/** The subprotocol that carries an actor query: query.<encodeURIComponent(json)>. */
export const queryProtocol = (query) => `query.${encodeURIComponent(JSON.stringify(query))}`;

/**
 * One client socket that queues what arrives, so a test reads messages in order with
 * `next()` and the close with `closed`; every wait has a deadline.
 */
export class WsClient {
  /**
   * Opens `path` (with its search) on the host. Resolves once the handshake is done; rejects
   * with the status when the server answers the upgrade with anything but 101. `on` is the host
   * (from startHost); `options` go to `ws` (headers, autoPong).
   */
  static open(on, path, protocols = [], options = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${on.port}${path}`, protocols, { maxPayload: 64 * MiB, ...options });
    const client = new this(ws);
    const opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_, res) => {
        reject(new Error(`upgrade answered ${res.statusCode} ${res.statusMessage}`));
        res.resume();
        ws.terminate();
      });
    });
    return withTimeout(opened, WAIT_MS, `the WebSocket handshake for ${path}`);
  }

  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.error = null;
    ws.on('message', (data, binary) => {
      this.queue.push({ binary, data: binary ? data : data.toString('utf8') });
      this.wake();
    });
    ws.on('error', (err) => { this.error = err; });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.wake();
      });
    });
  }

  wake() {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** The next message {binary, data: string | Buffer}; rejects if the socket closes first. */
  async next(timeoutMs = WAIT_MS) {
    const until = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) {
        const why = `${JSON.stringify(await this.closed)}${this.error ? `, ${this.error.message}` : ''}`;
        throw new Error(`socket closed while waiting for a message (${why})`);
      }
      await withTimeout(new Promise((r) => { this.waiters.push(r); }), Math.max(1, until - Date.now()), 'a message');
    }
    return this.queue.shift();
  }

  /** The next message, which must be text holding JSON. */
  async json(timeoutMs) {
    const m = await this.next(timeoutMs);
    assert.equal(m.binary, false, 'a text message');
    return JSON.parse(m.data);
  }

  /** Sends and resolves once `ws` has written the frame(s). */
  send(data, options = {}) {
    return new Promise((resolve, reject) => this.ws.send(data, options, (err) => (err ? reject(err) : resolve())));
  }

  /** Closes with `code` and `reason` and resolves with what the server closed with. */
  async close(code, reason) {
    this.ws.close(code, reason);
    return this.waitClosed();
  }

  /** Resolves with {code, reason} once the socket is closed. */
  waitClosed(timeoutMs = WAIT_MS) {
    return withTimeout(this.closed, timeoutMs, 'the socket to close');
  }
}
