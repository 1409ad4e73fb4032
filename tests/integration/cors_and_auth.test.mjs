// CORS (SPEC §3 and §12: preflight answered by the host, never by onFetch; with the default
// "*" any origin may read but never with credentials; a list grants credentials to the origins
// it names, gates browsers' WebSockets, and never trusts "null") and onAuth (SPEC §4 and the
// authActor/lockedActor examples of §9).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  actorFetch, actorId, create, errorOf, freshKey, getForId, getForKey, getOrCreate, jsonHeader, rawExchange, startHost,
} from './lib/host.mjs';

let host;       // default CORS: any origin
let listed;     // --cors-origins http://a.example,http://b.example
let fromEnv;    // ACTORHOST_CORS_ORIGINS=http://env.example
let noCors;     // --no-cors
before(async () => {
  [host, listed, fromEnv, noCors] = await Promise.all([
    startHost(),
    startHost({ args: ['--cors-origins', 'http://a.example,http://b.example'] }),
    startHost({ env: { ACTORHOST_CORS_ORIGINS: 'http://env.example' } }),
    startHost({ args: ['--no-cors'] }),
  ]);
});
after(async () => {
  await Promise.all([host, listed, fromEnv, noCors].map((h) => h?.stop()));
});

const timeout = () => AbortSignal.timeout(15_000);

function preflight(base, path, origin, { method = 'POST', headers, extra = {} } = {}) {
  const h = { Origin: origin, 'Access-Control-Request-Method': method, ...extra };
  if (headers) h['Access-Control-Request-Headers'] = headers;
  return fetch(`${base}${path}`, { method: 'OPTIONS', headers: h, signal: timeout() });
}

async function requestCount(base, key) {
  const res = await actorFetch(base, getForKey('httpActor', key), '/api/stats');
  assert.equal(res.status, 200);
  return (await res.json()).requestCount;
}

describe('CORS preflight (default: any origin)', () => {
  test('OPTIONS on an actor route is 204 with the CORS grant (any origin, no credentials), echoing headers', async () => {
    const key = freshKey('cors');
    const res = await preflight(host.url, '/registry/actors/httpActor/raw/http/api/echo', 'https://app.example', {
      method: 'PUT',
      headers: 'x-rivetkit-actor-query, content-type, x-custom',
      extra: { 'X-RivetKit-Actor-Query': jsonHeader(getOrCreate('httpActor', key)) },
    });
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    const methods = res.headers.get('access-control-allow-methods').split(/\s*,\s*/);
    for (const m of ['GET', 'POST', 'PUT', 'DELETE']) assert.ok(methods.includes(m), `Allow-Methods has ${m}: ${methods}`);
    assert.equal(res.headers.get('access-control-allow-headers'), 'x-rivetkit-actor-query, content-type, x-custom');
    // The grant depends on the requested headers, not on the Origin.
    assert.match(res.headers.get('vary') ?? '', /Access-Control-Request-Headers/);
    assert.doesNotMatch(res.headers.get('vary') ?? '', /Origin/);
  });

  test('a preflight never reaches the actor, nor creates it', async () => {
    const key = freshKey('cors-never');
    const q = jsonHeader(getOrCreate('httpActor', key));
    for (const path of ['/registry/actors/httpActor/raw/http/api/hello', '/registry/actors/raw/http/api/request', '/actors/raw/http/api/stats']) {
      const res = await preflight(host.url, path, 'https://app.example', { extra: { 'X-RivetKit-Query': q } });
      assert.equal(res.status, 204, path);
    }
    // The getOrCreate preflights created nothing.
    const res = await actorFetch(host.url, getForKey('httpActor', key), '/api/hello');
    assert.equal((await errorOf(res)).body.c, 'actor_not_found');
  });

  test('a preflight leaves an existing actor\'s request count unchanged', async () => {
    const key = freshKey('cors-count');
    await actorFetch(host.url, getOrCreate('httpActor', key), '/api/hello').then((r) => r.arrayBuffer());
    for (let i = 0; i < 3; i += 1) {
      const res = await preflight(host.url, '/registry/actors/raw/http/api/hello', 'https://app.example',
        { extra: { 'X-RivetKit-Query': jsonHeader(getOrCreate('httpActor', key)) } });
      assert.equal(res.status, 204);
    }
    assert.equal(await requestCount(host.url, key), 2);
  });

  test('preflights are answered for the other routes too (resolve, health)', async () => {
    for (const path of ['/registry/actors/resolve', '/health', '/registry/actors/lockedActor/raw/http/x']) {
      const res = await preflight(host.url, path, 'http://x.example', { headers: 'x-rivetkit-query' });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
    }
  });
});

describe('CORS on normal responses', () => {
  test('a response to a request with Origin carries Access-Control-Allow-Origin: *, never credentials', async () => {
    for (const origin of ['https://app.example', 'null']) {
      const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('acao')), '/api/hello',
        { headers: { Origin: origin } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', origin);
      assert.equal(res.headers.get('access-control-allow-credentials'), null, origin);
      assert.deepEqual(await res.json(), { message: 'Hello from actor!' });
    }
  });

  test('error responses carry it too, so a browser can read the error body', async () => {
    const missing = await fetch(`${host.url}/registry/actors/raw/http/api/hello`, { headers: { Origin: 'https://app.example' }, signal: timeout() });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('access-control-allow-origin'), '*');
    await missing.arrayBuffer();
    const locked = await actorFetch(host.url, getOrCreate('lockedActor', ['x']), '/', { headers: { Origin: 'https://app.example' } });
    assert.equal(locked.status, 403);
    assert.equal(locked.headers.get('access-control-allow-origin'), '*');
    await locked.arrayBuffer();
  });

  test('streamed (SSE) responses carry it', async () => {
    const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('acao-sse')), '/api/events?count=1',
      { headers: { Origin: 'https://app.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    await res.text();
  });

  test('a request without Origin gets no CORS headers', async () => {
    const res = await actorFetch(host.url, getOrCreate('httpActor', freshKey('no-origin')), '/api/hello');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
  });
});

describe('CORS configured with a list of origins', () => {
  for (const origin of ['http://a.example', 'http://b.example']) {
    test(`a listed origin (${origin}) is granted, with credentials, and caches are told it varies`, async () => {
      const pre = await preflight(listed.url, '/registry/actors/raw/http/api/hello', origin);
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), origin);
      assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
      assert.match(pre.headers.get('vary') ?? '', /Origin/);
      const res = await actorFetch(listed.url, getOrCreate('httpActor', freshKey('listed')), '/api/hello', { headers: { Origin: origin } });
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
      assert.match(res.headers.get('vary') ?? '', /Origin/);
      await res.arrayBuffer();
    });
  }

  test('every answer says it varies with Origin, even one to a request without it', async () => {
    const res = await actorFetch(listed.url, getOrCreate('httpActor', freshKey('vary')), '/api/hello');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.match(res.headers.get('vary') ?? '', /Origin/);
    await res.arrayBuffer();
  });

  test('Origin: null is never reflected', async () => {
    const pre = await preflight(listed.url, '/registry/actors/raw/http/api/hello', 'null');
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    await pre.arrayBuffer();
    const res = await actorFetch(listed.url, getOrCreate('httpActor', freshKey('null')), '/api/hello', { headers: { Origin: 'null' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
  });

  test('the list gates browsers\' WebSockets: 403 before the upgrade for another origin', async () => {
    const query = jsonHeader(getOrCreate('websocketActor', freshKey('ws-origin')));
    const upgrade = async (origin) => {
      const lines = ['GET /registry/actors/raw/websocket/ HTTP/1.1', 'Host: x', 'Connection: Upgrade', 'Upgrade: websocket',
        'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `X-RivetKit-Query: ${query}`];
      if (origin) lines.push(`Origin: ${origin}`);
      const { response, conn } = await rawExchange(listed.port, `${lines.join('\r\n')}\r\n\r\n`);
      conn.destroy();
      return response;
    };
    const refused = await upgrade('http://evil.example');
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.body).c, 'forbidden');
    // A listed origin, and a client that is not a browser (no Origin), get the upgrade.
    assert.equal((await upgrade('http://a.example')).status, 101);
    assert.equal((await upgrade(undefined)).status, 101);
  });

  test('ACTORHOST_CORS_ORIGINS in the environment sets the list', async () => {
    const ok = await preflight(fromEnv.url, '/health', 'http://env.example');
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://env.example');
    const other = await preflight(fromEnv.url, '/health', 'http://other.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('--no-cors', () => {
  test('no CORS headers on responses, and OPTIONS goes to the actor like any method', async () => {
    const key = freshKey('nocors');
    const res = await actorFetch(noCors.url, getOrCreate('httpActor', key), '/api/hello', { headers: { Origin: 'https://app.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
    const opt = await actorFetch(noCors.url, getOrCreate('httpActor', key), '/api/request', {
      method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(opt.status, 200);
    assert.equal(opt.headers.get('access-control-allow-origin'), null);
    assert.equal((await opt.json()).method, 'OPTIONS');
  });
});

describe('onAuth: authActor', () => {
  const whoami = (key, connParams, query = getOrCreate('authActor', key)) =>
    actorFetch(host.url, query, '/api/whoami', {}, { connParams });

  test('without conn params: 400 missing_auth', async () => {
    const e = await errorOf(await whoami(freshKey('auth')));
    assert.equal(e.status, 400);
    assert.equal(e.body.c, 'missing_auth');
    assert.match(e.contentType, /^application\/json/);
  });

  test('conn params without apiKey: 400 missing_auth', async () => {
    for (const params of [{}, { apikey: 'secret' }, 'secret', null, ['secret']]) {
      const e = await errorOf(await whoami(freshKey('auth'), params));
      assert.equal(e.status, 400, JSON.stringify(params));
      assert.equal(e.body.c, 'missing_auth', JSON.stringify(params));
    }
  });

  test('a wrong apiKey: 403 forbidden', async () => {
    for (const apiKey of ['wrong', 'Secret', 'secret ', '', 123, null, { v: 'secret' }]) {
      const e = await errorOf(await whoami(freshKey('auth'), { apiKey }));
      assert.equal(e.status, 403, JSON.stringify(apiKey));
      assert.equal(e.body.c, 'forbidden');
    }
  });

  test('the right apiKey: GET /api/whoami answers the auth data {"userId":"user123"}', async () => {
    const res = await whoami(freshKey('auth'), { apiKey: 'secret' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await res.json(), { userId: 'user123' });
  });

  test('the right apiKey with other params beside it is admitted', async () => {
    const res = await whoami(freshKey('auth'), { apiKey: 'secret', extra: [1, 2] });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { userId: 'user123' });
  });

  test('unparsable conn params: 400 invalid_params', async () => {
    const res = await actorFetch(host.url, getOrCreate('authActor', freshKey('auth')), '/api/whoami',
      { headers: { 'X-RivetKit-Conn-Params': '{"apiKey":' } });
    const e = await errorOf(res);
    assert.equal(e.status, 400);
    assert.equal(e.body.c, 'invalid_params');
  });

  test('an unauthorized request never creates the actor', async () => {
    const key = freshKey('auth-create');
    assert.equal((await whoami(key)).status, 400);
    assert.equal((await whoami(key, { apiKey: 'nope' })).status, 403);
    assert.equal((await whoami(key, { apiKey: 'nope' }, create('authActor', key))).status, 403);
    // An authorized getForKey finds nothing: no instance was made.
    const e = await errorOf(await whoami(key, { apiKey: 'secret' }, getForKey('authActor', key)));
    assert.equal(e.status, 404);
    assert.equal(e.body.c, 'actor_not_found');
    // An authorized create now succeeds: the key was never taken.
    const made = await whoami(key, { apiKey: 'secret' }, create('authActor', key));
    assert.equal(made.status, 200);
    assert.deepEqual(await made.json(), { userId: 'user123' });
    const byId = await whoami(key, { apiKey: 'secret' }, getForId(actorId('authActor', key)));
    assert.equal(byId.status, 200);
    await byId.arrayBuffer();
  });

  test('onAuth runs before the actor is located: no auth on a missing actor is still missing_auth', async () => {
    const e = await errorOf(await whoami(freshKey('auth-first'), undefined, getForKey('authActor', freshKey('nobody'))));
    assert.equal(e.status, 400);
    assert.equal(e.body.c, 'missing_auth');
  });

  test('resolve goes through onAuth too', async () => {
    const key = freshKey('auth-resolve');
    const resolve = (params) => fetch(`${host.url}/registry/actors/resolve`, {
      method: 'POST',
      headers: { 'X-RivetKit-Query': jsonHeader(getOrCreate('authActor', key)), ...(params ? { 'X-RivetKit-Conn-Params': jsonHeader(params) } : {}) },
      signal: timeout(),
    });
    assert.equal((await errorOf(await resolve())).body.c, 'missing_auth');
    assert.equal((await errorOf(await resolve({ apiKey: 'x' }))).status, 403);
    const ok = await resolve({ apiKey: 'secret' });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { i: actorId('authActor', key) });
  });

  test('an admitted request to an unknown path reaches the actor (its own 404)', async () => {
    const res = await actorFetch(host.url, getOrCreate('authActor', freshKey('auth')), '/nothing', {}, { connParams: { apiKey: 'secret' } });
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'Not Found');
  });
});

describe('onAuth: lockedActor (no onAuth at all)', () => {
  for (const [what, query] of [
    ['getOrCreateForKey', () => getOrCreate('lockedActor', freshKey('locked'))],
    ['create', () => create('lockedActor', freshKey('locked'))],
    ['getForKey', () => getForKey('lockedActor', freshKey('locked'))],
  ]) {
    test(`${what}: 403 forbidden, whatever the conn params`, async () => {
      for (const connParams of [undefined, {}, { apiKey: 'secret' }]) {
        for (const form of ['seed', 'wire']) {
          const e = await errorOf(await actorFetch(host.url, query(), '/anything', { method: 'POST', body: 'x' }, { connParams, form }));
          assert.equal(e.status, 403, `${form} ${JSON.stringify(connParams)}`);
          assert.equal(e.body.c, 'forbidden');
          assert.doesNotMatch(JSON.stringify(e.body), /You should never see this/);
        }
      }
    });
  }

  test('resolve on lockedActor is 403 forbidden', async () => {
    const res = await fetch(`${host.url}/registry/actors/resolve`, {
      method: 'POST', headers: { 'X-RivetKit-Query': jsonHeader(getOrCreate('lockedActor', freshKey('locked'))) }, signal: timeout(),
    });
    const e = await errorOf(res);
    assert.equal(e.status, 403);
    assert.equal(e.body.c, 'forbidden');
  });
});
