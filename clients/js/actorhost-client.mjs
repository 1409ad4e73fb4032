// actorhost-client: the JavaScript client for actorhost (SPEC §8 B), one dependency-free ES
// module for browsers and Node 20+, with RivetKit's client API for raw handlers:
//
//   import { createClient } from './actorhost-client.mjs';
//   const client = createClient('http://127.0.0.1:8080');
//   const handle = client.httpActor.getOrCreate(['demo']);     // or client.get('httpActor')
//   const res = await handle.fetch('/api/hello');                 // the platform's Response
//   const ws = await handle.websocket('/');                       // the platform's WebSocket, open
//   const out = await handle.action('getStats');                  // an action's output
//   const id = await handle.resolve();                            // the actor id
//
// What goes on the wire (SPEC §2, §3):
// - Every call names its actor with a query: {"getForKey":{name,key}},
//   {"getOrCreateForKey":{name,key,input}}, {"create":{name,key,input}} or
//   {"getForId":{name,actorId}}; over HTTP in the X-RivetKit-Query header (with the caller's
//   conn params, if any, in X-RivetKit-Conn-Params), over WebSocket in subprotocols.
// - Header values are byte strings, so JSON put in a header has every non-ASCII character
//   escaped as \uXXXX: the server's JSON parser reads the same text back, and no platform or
//   proxy has to agree on how to carry non-ASCII bytes in a header.
// - Subprotocols are tokens, so JSON put in one is percent-encoded: encodeURIComponent, plus
//   the characters it leaves alone that a token may not hold ( ) ' ! * ~. The server decodes.
//
// Behaviour worth knowing:
// - fetch() returns the actor's Response as it is, error statuses included: raw HTTP belongs
//   to the actor. action() and resolve() throw an ActorError when the host answers with an
//   error ({"c","m","md"}).
// - websocket() resolves once the socket is open. The host completes the upgrade before it
//   knows whether the actor exists or the caller is admitted, and then reports a setup error
//   by closing the open socket with 1008 (auth) or 1011 and the error code as the reason
//   (e.g. "actor_not_found"). Watch the socket's close event for those.
// - A handle made by create() creates its actor once, on its first call (by resolving its
//   id), and addresses it by id from then on, so one handle can be used many times. Another
//   create() handle for an existing key fails: fetch() then returns the host's
//   400 actor_already_exists Response, the other calls throw that ActorError.
// - A Request given to fetch() (as the input, or as the init, as a forwarding server does)
//   has its body read whole before it is sent on: browsers cannot stream request bodies over
//   HTTP/1.1.
// - A path is relative to the actor; one whose ".." segments lead out of its route is refused.
// - In Node 20 there is no global WebSocket: pass one, e.g. the `ws` package's class, as
//   createClient(url, { WebSocket }). Add message listeners right after `await websocket()`,
//   before awaiting anything else: a message that arrives with no listener is gone.

const QUERY_HEADER = 'X-RivetKit-Query';
const CONN_PARAMS_HEADER = 'X-RivetKit-Conn-Params';
const ENCODING_HEADER = 'X-RivetKit-Encoding';

// The host's answer behind an ActorError from resolve or an action ({status, statusText,
// headers, text}), so that fetch() on a create handle can return it as a Response.
const answers = new WeakMap();

/** An error the host reported for an action or a resolve: {"c": code, "m": message, "md": metadata}. */
export class ActorError extends Error {
  /**
   * @param {string} code e.g. "actor_not_found", "action_not_found", or an actor's own code
   * @param {string} message
   * @param {unknown} [metadata]
   * @param {number} [status] the HTTP status the host answered with (0 when there was none)
   */
  constructor(code, message, metadata = undefined, status = 0) {
    super(message);
    this.name = 'ActorError';
    this.code = code;
    this.metadata = metadata;
    this.status = status;
  }
}

/**
 * A client for the host at `url` (e.g. "http://127.0.0.1:8080"). `client.<actorName>` and
 * `client.get(actorName)` give the accessor of that actor class.
 * Options: `WebSocket` (the class websocket() uses; default: the global one) and `fetch`
 * (default: the global one).
 */
export function createClient(url, options = {}) {
  const base = String(url).replace(/\/+$/, '');
  const endpoint = new URL(base); // throws early on a malformed URL
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new TypeError(`actorhost client: the URL must be http: or https:, not ${endpoint.protocol}`);
  }
  const ownFetch = options.fetch;
  const transport = {
    base,
    wsBase: base.replace(/^http/, 'ws'),
    // Called on globalThis, as a browser's own fetch must be.
    fetch: (...args) => (ownFetch ?? globalThis.fetch).call(globalThis, ...args),
    WebSocket: options.WebSocket,
  };
  const accessors = new Map();
  const get = (name) => {
    if (typeof name !== 'string' || name === '') throw new TypeError('actorhost client: an actor name is a non-empty string');
    let accessor = accessors.get(name);
    if (!accessor) {
      accessor = makeAccessor(transport, name);
      accessors.set(name, accessor);
    }
    return accessor;
  };
  const client = Object.freeze({ url: base, get });
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || prop in target) return Reflect.get(target, prop, receiver);
      // `then` stays undefined so that a client is not mistaken for a promise by `await`.
      if (prop === 'then') return undefined;
      return get(prop);
    },
  });
}

/** The four ways to address an instance of actor class `name`. */
function makeAccessor(transport, name) {
  return Object.freeze({
    getOrCreate(key, { input, params } = {}) {
      return makeHandle(transport, name, { getOrCreateForKey: withInput({ name, key: normalizeKey(key) }, input) }, params);
    },
    get(key, { params } = {}) {
      return makeHandle(transport, name, { getForKey: { name, key: normalizeKey(key) } }, params);
    },
    create(key, { input, params } = {}) {
      return makeHandle(transport, name, { create: withInput({ name, key: normalizeKey(key) }, input) }, params);
    },
    getForId(actorId, { params } = {}) {
      if (typeof actorId !== 'string' || actorId === '') throw new TypeError('actorhost client: an actor id is a non-empty string');
      return makeHandle(transport, name, { getForId: { name, actorId } }, params);
    },
  });
}

function withInput(query, input) {
  return input === undefined ? query : { ...query, input };
}

/** A key is an array of strings; a single string stands for [string], nothing for []. */
function normalizeKey(key) {
  if (key === undefined) return [];
  if (typeof key === 'string') return [key];
  if (Array.isArray(key) && key.every((part) => typeof part === 'string')) return [...key];
  throw new TypeError('actorhost client: a key is a string or an array of strings');
}

/**
 * A handle on one actor instance. A create() handle first resolves its query to an id (which
 * creates the actor) and then addresses the actor by that id.
 */
function makeHandle(transport, name, query, params) {
  let idQuery = null; // a create handle's {getForId} once its actor exists
  let creating = null; // the create in flight

  /** The query to send now; for a create handle, creates the actor first. */
  async function currentQuery() {
    if (!('create' in query)) return query;
    if (idQuery) return idQuery;
    creating ??= resolveQuery(transport, query, params).then(
      (actorId) => {
        idQuery = { getForId: { name, actorId } };
        return idQuery;
      },
      (err) => {
        creating = null; // the next call tries again
        throw err;
      },
    );
    return creating;
  }

  return Object.freeze({
    async fetch(input, init) {
      let q;
      try {
        q = await currentQuery();
      } catch (err) {
        // A failed create is the host's answer to this request: hand it back as a Response.
        const answer = answers.get(err);
        if (!answer) throw err;
        return new Response(answer.text, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
      }
      return rawFetch(transport, name, q, params, input, init);
    },
    async websocket(path = '', protocols = []) {
      return openWebSocket(transport, name, await currentQuery(), params, path, protocols);
    },
    async action(actionName, ...args) {
      return callAction(transport, await currentQuery(), params, actionName, args);
    },
    async resolve() {
      const q = await currentQuery();
      return q === idQuery ? q.getForId.actorId : resolveQuery(transport, q, params);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** JSON with every character outside printable ASCII escaped, fit for an HTTP header value. */
function headerJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** encodeURIComponent, also escaping the characters a subprotocol token may not hold. */
function tokenEncode(text) {
  return encodeURIComponent(text).replace(/[()'!*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `${prefix}${path}` with path's leading slashes dropped; refuses a path whose dot segments
 * ("..", "%2e%2e") would lead out of the actor's route once the URL is normalized.
 */
function underRoute(prefix, path) {
  const url = `${prefix}${String(path).replace(/^\/+/, '')}`;
  if (!new URL(url).pathname.startsWith(new URL(prefix).pathname)) {
    throw new TypeError(`actorhost client: the path ${JSON.stringify(String(path))} leads out of the actor's route`);
  }
  return url;
}

function queryHeaders(query, params) {
  const headers = { [QUERY_HEADER]: headerJson(query) };
  if (params !== undefined) headers[CONN_PARAMS_HEADER] = headerJson(params);
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

function isRequest(value) {
  return typeof value === 'object' && value !== null && typeof value.url === 'string' &&
    typeof value.method === 'string' && typeof value.arrayBuffer === 'function';
}

/** RequestInit taken from a Request: its body is read whole (see the note at the top). */
async function initFromRequest(request) {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  return {
    method: request.method,
    headers: request.headers,
    body: hasBody ? await request.arrayBuffer() : undefined,
    signal: request.signal,
    redirect: request.redirect,
    credentials: request.credentials,
    cache: request.cache,
    referrerPolicy: request.referrerPolicy,
    integrity: request.integrity,
    keepalive: request.keepalive,
  };
}

async function rawFetch(transport, name, query, params, input, init) {
  let path;
  let base = {};
  if (typeof input === 'string') {
    path = input;
  } else if (input instanceof URL) {
    path = input.pathname + input.search;
  } else if (isRequest(input)) {
    const url = new URL(input.url);
    path = url.pathname + url.search;
    base = await initFromRequest(input);
  } else {
    throw new TypeError('actorhost client: fetch() takes a path, a URL or a Request');
  }
  // A forwarding server passes the incoming Request as the init (the seed's Hono sample).
  const own = isRequest(init) ? await initFromRequest(init) : (init ?? {});
  const merged = { ...base, ...own };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const headers = new Headers(base.headers);
  for (const [k, v] of new Headers(own.headers)) headers.set(k, v);
  for (const [k, v] of Object.entries(queryHeaders(query, params))) headers.set(k, v);
  merged.headers = headers;
  const target = underRoute(`${transport.base}/registry/actors/${encodeURIComponent(name)}/raw/http/`, path);
  return transport.fetch(target, merged);
}

// ---------------------------------------------------------------------------------------------
// WebSocket

function openWebSocket(transport, name, query, params, path, protocols) {
  let url;
  try {
    url = underRoute(`${transport.wsBase}/registry/actors/${encodeURIComponent(name)}/ws/`, path);
  } catch (err) {
    return Promise.reject(err);
  }
  const WebSocketClass = transport.WebSocket ?? globalThis.WebSocket;
  if (typeof WebSocketClass !== 'function') {
    return Promise.reject(new TypeError('actorhost client: no WebSocket class: this platform has no global WebSocket ' +
      '(Node 20); pass one as createClient(url, { WebSocket })'));
  }
  const offer = [`query.${tokenEncode(JSON.stringify(query))}`, 'encoding.json'];
  if (params !== undefined) offer.push(`conn_params.${tokenEncode(JSON.stringify(params))}`);
  offer.push('rivetkit', ...(typeof protocols === 'string' ? [protocols] : protocols));

  return new Promise((resolve, reject) => {
    let ws;
    try {
      ws = new WebSocketClass(url, offer);
    } catch (err) {
      reject(err);
      return;
    }
    const settle = () => {
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('error', onError);
      ws.removeEventListener('close', onClose);
    };
    const onOpen = () => {
      settle();
      // Node's `ws` emits messages that arrived with the handshake (an actor's welcome) on
      // process.nextTick, before the caller's code after `await websocket()` can listen; a
      // socket with pause()/resume() is held until then. Browsers queue them as tasks.
      if (typeof ws.pause === 'function' && typeof ws.resume === 'function') {
        ws.pause();
        setTimeout(() => ws.resume(), 0);
      }
      resolve(ws);
    };
    const onError = (event) => {
      settle();
      const why = event?.message ?? event?.error?.message;
      reject(new Error(`actorhost client: the WebSocket to ${url} failed to open${why ? `: ${why}` : ''}`));
    };
    const onClose = (event) => {
      settle();
      reject(new ActorError(event.reason || 'websocket_closed',
        `actorhost client: the WebSocket closed before it opened (code ${event.code})`, undefined, 0));
    };
    ws.addEventListener('open', onOpen);
    ws.addEventListener('error', onError);
    ws.addEventListener('close', onClose);
  });
}

// ---------------------------------------------------------------------------------------------
// Actions and resolve (JSON encoding)

/** POSTs to a host endpoint and returns the parsed JSON body; an error answer throws ActorError. */
async function postJson(transport, path, query, params, body) {
  const headers = { ...queryHeaders(query, params), [ENCODING_HEADER]: 'json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await transport.fetch(`${transport.base}/registry/actors/${path}`, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = typeof parsed?.c === 'string'
      ? new ActorError(parsed.c, typeof parsed.m === 'string' ? parsed.m : parsed.c, parsed.md, res.status)
      : new ActorError('unexpected_response', `HTTP ${res.status}: ${text.slice(0, 200)}`, undefined, res.status);
    answers.set(err, { status: res.status, statusText: res.statusText, headers: [...res.headers], text });
    throw err;
  }
  if (parsed === undefined || parsed === null || typeof parsed !== 'object') {
    throw new ActorError('unexpected_response', `expected a JSON object, got: ${text.slice(0, 200)}`, undefined, res.status);
  }
  return parsed;
}

async function resolveQuery(transport, query, params) {
  const body = await postJson(transport, 'resolve', query, params, undefined);
  if (typeof body.i !== 'string') throw new ActorError('unexpected_response', 'the resolve answer has no actor id', body, 200);
  return body.i;
}

async function callAction(transport, query, params, actionName, args) {
  if (typeof actionName !== 'string' || actionName === '') throw new TypeError('actorhost client: an action name is a non-empty string');
  const body = await postJson(transport, `actions/${encodeURIComponent(actionName)}`, query, params, { a: args });
  return body.o;
}
