// Type declarations for actorhost-client.mjs: the JavaScript client for actorhost's raw
// HTTP and WebSocket handlers, actions and actor ids, with RivetKit's client API.
//
// `WS` is the type of the sockets websocket() resolves with: the platform's WebSocket by
// default, or the instances of the class passed as `options.WebSocket` (e.g. the `ws`
// package's, in Node 20, which has no global WebSocket).

/** An actor key: an array of strings; a single string stands for [string], none for []. */
export type ActorKey = string | readonly string[];

/** What a WebSocket class must offer the client: construct with a URL and subprotocols. */
export type WebSocketConstructor<WS> = new (url: string, protocols?: string | string[]) => WS;

export interface ClientOptions<WS = WebSocket> {
  /** The WebSocket class websocket() uses. Default: the global WebSocket (browsers, Node 22+). */
  WebSocket?: WebSocketConstructor<WS>;
  /** The fetch function every HTTP call uses. Default: the global fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** Options of getOrCreate() and create(). */
export interface CreateOptions {
  /** Passed to the actor's createState when this call creates it. Any JSON value. */
  input?: unknown;
  /** Connection parameters for the actor's onAuth (sent as X-RivetKit-Conn-Params). Any JSON value. */
  params?: unknown;
}

/** Options of get() and getForId(). */
export interface GetOptions {
  /** Connection parameters for the actor's onAuth (sent as X-RivetKit-Conn-Params). Any JSON value. */
  params?: unknown;
}

/**
 * An error the host answered an action or a resolve with (body {"c","m","md"}; code
 * "unexpected_response" for an answer without one); also what websocket() rejects with when
 * the socket closes before it opens (code: the close reason).
 */
export class ActorError extends Error {
  constructor(code: string, message: string, metadata?: unknown, status?: number);
  readonly name: 'ActorError';
  /** e.g. "actor_not_found", "actor_already_exists", "action_not_found", or an actor's own code. */
  readonly code: string;
  /** The error's "md" object, if any. */
  readonly metadata: unknown;
  /** The HTTP status of the answer (0 when there was none). */
  readonly status: number;
}

/** One actor instance, as addressed by the accessor call that made the handle. */
export interface ActorHandle<WS = WebSocket> {
  /**
   * Sends an HTTP request to the actor's onFetch. `input` is a path relative to the actor
   * ("/api/hello?x=1"), a URL or a Request (its path and search are used); `init` may also
   * be a Request, whose method, headers and body are forwarded. Resolves with the actor's
   * Response as it is, error statuses included (404 actor_not_found and the like come back
   * as Responses too). A Request's body is read whole before it is sent. Throws a TypeError
   * for a path whose ".." segments lead out of the actor's route.
   */
  fetch(input: string | URL | Request, init?: RequestInit | Request): Promise<Response>;

  /**
   * Opens a WebSocket to the actor's onWebSocket at `path` ("/" by default), offering the
   * actor query, encoding.json, the conn params, "rivetkit" and then `protocols`. Resolves
   * once the socket is open; add message listeners right after awaiting it. The host reports
   * setup errors (unknown actor, refused auth) by closing the open socket with 1011 or 1008
   * and the error code as the close reason ("actor_not_found", "forbidden"), so watch the
   * close event. Rejects only when the socket fails or closes before it opens, or when `path`
   * leads out of the actor's route.
   */
  websocket(path?: string, protocols?: string | readonly string[]): Promise<WS>;

  /** Calls the action `name` with `args` (JSON values); resolves with its output. Throws ActorError. */
  action<T = unknown>(name: string, ...args: unknown[]): Promise<T>;

  /** The actor's id (16 hex characters); creates the actor for a getOrCreate or create handle. Throws ActorError. */
  resolve(): Promise<string>;
}

/** The ways to address instances of one actor class. */
export interface ActorAccessor<WS = WebSocket> {
  /** The instance with `key`, created (with `input`) on first use. */
  getOrCreate(key?: ActorKey, options?: CreateOptions): ActorHandle<WS>;
  /** The existing instance with `key`; calls fail with actor_not_found when there is none. */
  get(key?: ActorKey, options?: GetOptions): ActorHandle<WS>;
  /**
   * A new instance with `key`, created on the handle's first call, which fails with
   * actor_already_exists if the key is taken; later calls address it by id.
   */
  create(key?: ActorKey, options?: CreateOptions): ActorHandle<WS>;
  /** The existing instance with id `actorId` (from resolve()). */
  getForId(actorId: string, options?: GetOptions): ActorHandle<WS>;
}

/** What every client has besides its actor accessors. */
export interface ClientBase<WS = WebSocket> {
  /** The host URL the client was made with, without a trailing slash. */
  readonly url: string;
  /** The accessor of actor class `name`; also the way to reach a class named like a member ("get", "url", "then"). */
  get(name: string): ActorAccessor<WS>;
}

/** A client: `client.<actorName>` is the accessor of that actor class. */
export type Client<WS = WebSocket> = ClientBase<WS> & { readonly [actorName: string]: ActorAccessor<WS> };

/** A client for the host at `url`, e.g. "http://127.0.0.1:8080". */
export function createClient<WS = WebSocket>(url: string | URL, options?: ClientOptions<WS>): Client<WS>;
