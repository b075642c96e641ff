// Renders the cluster's nginx.conf from a handful of values: the instance list is data, so three
// instances or thirty is one number. Every path nginx writes to lives inside the prefix dir.
import { join } from 'node:path';
import { SESSION_COOKIE } from '@shop/auth';

export interface UpstreamServer {
  /** Instance name (i1, i2, …): names its drain flag file. */
  name: string;
  port: number;
  host?: string;
}

export interface RateLimits {
  /** Every request per client IP, sustained rate per second. */
  requestsPerSecond: number;
  /** Requests per IP allowed above the rate at once (a page load, a reconnect wave). */
  burst: number;
  /** auth.login / auth.register per client IP per minute. */
  authPerMinute: number;
  authBurst: number;
}

export interface TlsSettings {
  port: number;
  certificate: string;
  key: string;
}

export interface RenderOptions {
  /** Absolute prefix dir: pid, temp paths, cache, logs, control socket. */
  prefix: string;
  listenHost?: string;
  httpPort: number;
  upstreams: readonly UpstreamServer[];
  /** SPA build served as static files. */
  webDist: string;
  /** Adds the HTTPS server (with HSTS) when set. */
  tls?: TlsSettings | undefined;
  /**
   * The workers' user (and group) when the master runs as root, e.g. `nobody nogroup` (see
   * workerUser); never root. nginx hands its temp and cache folders to that user at start.
   */
  user?: string | undefined;
  workerProcesses?: number | 'auto';
  rateLimits?: Partial<RateLimits>;
  /** Served on the control socket, so a reload can be seen to have taken effect. */
  generation?: number;
  /**
   * Drain flags and the control socket, for a supervisor on this machine (the cluster). Off for a
   * container, where nothing writes the flags or reads the socket. Default true.
   */
  drainControl?: boolean;
  /** Log destinations; default files in the prefix's logs folder (a container: /dev/stdout, /dev/stderr). */
  logs?: { access: string; error: string };
  /** Second header line of the rendered file: how to regenerate it. */
  note?: string;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { requestsPerSecond: 30, burst: 120, authPerMinute: 20, authBurst: 20 };

/** Ports of `count` instances numbered from `first`: 3 → [3001, 3002, 3003]. */
export function instancePorts(count: number, first = 3001): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/** Where the rendered config keeps its files, relative to the prefix. */
export function prefixPaths(prefix: string) {
  return {
    conf: join(prefix, 'nginx.conf'),
    pid: join(prefix, 'nginx.pid'),
    errorLog: join(prefix, 'logs', 'error.log'),
    accessLog: join(prefix, 'logs', 'access.log'),
    controlSocket: join(prefix, 'control.sock'),
    cache: join(prefix, 'cache', 'micro'),
    temp: join(prefix, 'temp'),
    logs: join(prefix, 'logs'),
    drain: join(prefix, 'drain'),
  };
}

/**
 * While this file exists nginx sends the instance nothing new: no reload needed (a reload makes
 * old workers drop idle client connections, which races with clients reusing them).
 */
export function drainFlag(prefix: string, instance: string): string {
  return join(prefixPaths(prefix).drain, instance);
}

// The only script, style, image and socket sources are the shop's own origin: the SPA build has no
// inline script or style (React's style props go through the CSSOM, which CSP does not restrict).
// CSP Level 3 lets 'self' match ws:/wss: on the same host, which covers the tRPC WebSocket.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A double-quoted nginx string; refuses characters that would change the config's meaning. */
function quote(value: string): string {
  if (/["$\\\n\r]/.test(value)) throw new Error(`unsupported character in nginx config value: ${value}`);
  return `"${value}"`;
}
const indent = (lines: readonly string[]) => lines.map((l) => (l ? `  ${l}` : l));
const block = (head: string, body: readonly string[]) => [`${head} {`, ...indent(body), '}'];

interface ServerContext {
  webDist: string;
  limits: RateLimits;
  tls: boolean;
  /** Picks $shop_upstream: every instance, or every instance but the draining one. */
  rotation: string[];
}

const trpcError = (status: number, code: string, number: number, message: string) =>
  `default_type application/json; return ${status} '{"error":{"message":"${message}","code":${number},"data":{"code":"${code}","httpStatus":${status}}}}';`;

// Headers and proxy headers are set once per server and no location sets its own: nginx drops
// every inherited add_header (or proxy_set_header) in a location that has one of its own.
function serverBlock({ webDist, limits, tls, rotation }: ServerContext, listen: string[]): string[] {
  const perIp = `limit_req zone=shop_per_ip burst=${limits.burst} nodelay;`;
  return block('server', [
    ...listen,
    'server_name _;',
    `root ${quote(webDist)};`,
    'client_max_body_size 100k;',
    perIp,
    ...rotation,
    '',
    `add_header Content-Security-Policy ${quote(CONTENT_SECURITY_POLICY)} always;`,
    'add_header X-Content-Type-Options "nosniff" always;',
    'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    'add_header X-Frame-Options "DENY" always;',
    ...(tls ? ['add_header Strict-Transport-Security "max-age=63072000" always;'] : []),
    // The id nginx gave the request, also passed to the instance: one id in both logs.
    'add_header X-Request-Id $request_id always;',
    // Empty (so not sent) outside the micro-cached location, and for proxied responses.
    'add_header X-Cache-Status $upstream_cache_status always;',
    'add_header Cache-Control $shop_static_cache_control always;',
    '',
    // Host with its port: the instances compare it with a mutation's Origin.
    'proxy_set_header Host $http_host;',
    // Overwritten, never appended: whatever a client sends in X-Forwarded-For is dropped, so the
    // instances (TRUST_PROXY takes the last entry) see the address nginx saw.
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Real-IP $remote_addr;',
    'proxy_set_header Forwarded "";',
    `proxy_set_header X-Forwarded-Proto ${tls ? 'https' : 'http'};`,
    'proxy_set_header X-Request-Id $request_id;',
    // nginx compresses; an instance's compressed variant must never land in the shared cache.
    'proxy_set_header Accept-Encoding "";',
    // WebSocket upgrades pass through; for every other request both are empty, so not sent, and
    // the connection to the instance is kept alive.
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $connection_upgrade;',
    '',
    // Errors nginx itself answers, in tRPC's error shape so the SPA shows them like any other.
    'error_page 413 = @payload_too_large;',
    'error_page 429 = @too_many_requests;',
    'error_page 502 503 504 = @unavailable;',
    `location @payload_too_large { ${trpcError(413, 'PAYLOAD_TOO_LARGE', -32013, 'request body too large')} }`,
    `location @too_many_requests { ${trpcError(429, 'TOO_MANY_REQUESTS', -32029, 'too many requests, slow down')} }`,
    `location @unavailable { ${trpcError(503, 'SERVICE_UNAVAILABLE', -32603, 'the shop is unavailable, try again shortly')} }`,
    '',
    // The instances' probes and metrics are for operators on the instance ports, not the public.
    'location ~ ^/(health|ready|metrics)(/|$) { return 404; }',
    // The SPA: deep links get index.html; a missing hashed asset is a 404, not the page.
    'location / { try_files $uri /index.html; }',
    'location /assets/ { try_files $uri =404; }',
    '',
    // The tRPC WebSocket. Timeouts well above the server's 45 s ping, so idle sockets stay open.
    // A draining instance answers an upgrade with 404: nginx tries the next one.
    ...block('location = /trpc', [
      'proxy_pass http://$shop_upstream;',
      'proxy_read_timeout 90s;',
      'proxy_send_timeout 90s;',
      'proxy_next_upstream error timeout http_404 http_502 http_503 http_504;',
    ]),
    'location /trpc/ { proxy_pass http://$shop_upstream; }',
    // Public catalog reads (every procedure of a batch is catalog.*): micro-cached for anonymous
    // visitors and served stale while the instances fail. A request with a session neither reads
    // nor fills the cache, and nginx stores no response that sets a cookie (proxy_ignore_headers
    // is left unset on purpose).
    ...block('location ~ ^/trpc/catalog\\.[A-Za-z]+(,catalog\\.[A-Za-z]+)*$', [
      'proxy_pass http://$shop_upstream;',
      'proxy_cache shop_micro;',
      'proxy_cache_key $scheme$request_method$request_uri;',
      'proxy_cache_valid 200 5s;',
      'proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;',
      'proxy_cache_background_update on;',
      'proxy_cache_lock on;',
      'proxy_cache_lock_timeout 3s;',
      'proxy_cache_bypass $shop_private;',
      'proxy_no_cache $shop_private;',
    ]),
    // Sign-in and registration, alone or anywhere in a batch: a tight per-IP limit against
    // credential stuffing, on top of the instances' own per-email and per-IP failure counts.
    ...block('location ~ ^/trpc/.*auth\\.(login|register)', [
      perIp,
      `limit_req zone=shop_auth burst=${limits.authBurst} nodelay;`,
      'proxy_pass http://$shop_upstream;',
    ]),
    'location /img/ { proxy_pass http://$shop_upstream; }',
  ]);
}

export function renderNginxConfig(options: RenderOptions): string {
  const { prefix, httpPort, upstreams, webDist, tls, user, workerProcesses = 'auto', generation = 0, drainControl = true } = options;
  const host = options.listenHost ?? '127.0.0.1';
  if (upstreams.length === 0) throw new Error('at least one instance is required');
  if (user !== undefined && !/^(?!root\b)[a-z_][a-z0-9_-]*( (?!root\b)[a-z_][a-z0-9_-]*)?$/.test(user)) {
    throw new Error(`nginx workers need an unprivileged user, not: ${user}`);
  }
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const paths = prefixPaths(prefix);
  const logs = options.logs ?? { access: paths.accessLog, error: paths.errorLog };
  const temp = (name: string) => quote(join(paths.temp, name));
  for (const u of upstreams) if (!/^[A-Za-z0-9_-]+$/.test(u.name)) throw new Error(`unsupported instance name: ${u.name}`);
  // One group of all instances, and (with more than one) a group without each, for its drain.
  const groups = [
    { name: 'shop_instances', servers: upstreams },
    ...(drainControl && upstreams.length > 1
      ? upstreams.map((d) => ({ name: `shop_without_${d.name}`, servers: upstreams.filter((u) => u !== d) }))
      : []),
  ];
  const upstreamBlocks = groups.flatMap((g) => [
    ...block(`upstream ${g.name}`, [
      // Shared by all workers: one round-robin and one view of failed instances.
      `zone ${g.name} 64k;`,
      // Short: an overload that times out connects sidelines an instance (all three, at worst)
      // for 10 s, not 30; a dead one costs a refused connect per 10 s, retried on the next.
      ...g.servers.map((u) => `server ${u.host ?? '127.0.0.1'}:${u.port} max_fails=3 fail_timeout=10s;`),
      'keepalive 32;',
      // Below Node's 5 s keep-alive timeout, so nginx never reuses a socket the instance is closing.
      'keepalive_timeout 4s;',
      'keepalive_requests 1000;',
    ]),
  ]);
  const rotation = [
    'set $shop_upstream shop_instances;',
    ...(drainControl && upstreams.length > 1
      ? upstreams.map((u) => `if (-f ${quote(drainFlag(prefix, u.name))}) { set $shop_upstream shop_without_${u.name}; }`)
      : []),
  ];
  const plain = serverBlock({ webDist, limits, tls: false, rotation }, [`listen ${host}:${httpPort};`]);
  const secure = tls
    ? serverBlock({ webDist, limits, tls: true, rotation }, [
        `listen ${host}:${tls.port} ssl;`,
        `ssl_certificate ${quote(tls.certificate)};`,
        `ssl_certificate_key ${quote(tls.key)};`,
        'ssl_protocols TLSv1.2 TLSv1.3;',
        'ssl_prefer_server_ciphers off;',
        'ssl_session_cache shared:shop_tls:10m;',
        'ssl_session_timeout 1d;',
        'ssl_session_tickets off;',
      ])
    : [];

  const http = [
    ...block('types', [
      'text/html html;',
      'text/css css;',
      'text/plain txt map;',
      'application/javascript js mjs;',
      'application/json json;',
      'application/manifest+json webmanifest;',
      'image/svg+xml svg;',
      'image/png png;',
      'image/jpeg jpg jpeg;',
      'image/webp webp;',
      'image/x-icon ico;',
      'font/woff2 woff2;',
    ]),
    'default_type application/octet-stream;',
    `client_body_temp_path ${temp('client_body')};`,
    `proxy_temp_path ${temp('proxy')};`,
    `fastcgi_temp_path ${temp('fastcgi')};`,
    `uwsgi_temp_path ${temp('uwsgi')};`,
    `scgi_temp_path ${temp('scgi')};`,
    '',
    `log_format shop_json escape=json '{"time":"$time_iso8601","request_id":"$request_id","remote_addr":"$remote_addr",'`,
    `  '"method":"$request_method","uri":"$request_uri","status":$status,"bytes":$body_bytes_sent,'`,
    `  '"request_time":$request_time,"upstream":"$upstream_addr","upstream_status":"$upstream_status",'`,
    `  '"upstream_time":"$upstream_response_time","cache":"$upstream_cache_status","user_agent":"$http_user_agent"}';`,
    `access_log ${quote(logs.access)} shop_json;`,
    '',
    'server_tokens off;',
    'sendfile on;',
    'tcp_nopush on;',
    'keepalive_timeout 65s;',
    'gzip on;',
    'gzip_vary on;',
    'gzip_proxied any;',
    'gzip_min_length 1024;',
    'gzip_types text/css text/plain application/javascript application/json image/svg+xml application/manifest+json;',
    '',
    ...block('map $http_upgrade $connection_upgrade', ['default upgrade;', "'' '';"]),
    // Hashed assets never change under their name; everything else nginx serves is revalidated.
    // Proxied responses keep the instance's own Cache-Control.
    ...block('map $uri $shop_static_cache_control', [
      '~^/assets/ "public, max-age=31536000, immutable";',
      '~^/(trpc|img)(/|$) "";',
      'default "no-cache";',
    ]),
    // A request with a session cookie or credentials is private: never read from nor stored in the cache.
    ...block('map $http_cookie $shop_has_session', ['default 0;', `"~(^|;)\\s*${SESSION_COOKIE}=" 1;`]),
    ...block('map "$shop_has_session$http_authorization" $shop_private', ['default 1;', '"0" 0;']),
    `proxy_cache_path ${quote(paths.cache)} levels=1:2 keys_zone=shop_micro:10m max_size=256m inactive=10m use_temp_path=off;`,
    '',
    `limit_req_zone $binary_remote_addr zone=shop_per_ip:10m rate=${limits.requestsPerSecond}r/s;`,
    `limit_req_zone $binary_remote_addr zone=shop_auth:10m rate=${limits.authPerMinute}r/m;`,
    'limit_req_status 429;',
    'limit_req_log_level warn;',
    '',
    // Retries go to the next instance for connection failures (nothing was sent, so even a POST is
    // safe) and for idempotent requests only: nginx never resends a POST an instance received.
    'proxy_connect_timeout 2s;',
    'proxy_send_timeout 30s;',
    'proxy_read_timeout 30s;',
    // Not http_503: an instance answers 503 when the shared database is down, which another
    // instance cannot fix; counting it as a failure would sideline every instance for
    // fail_timeout after the database is back.
    'proxy_next_upstream error timeout http_502 http_504;',
    'proxy_next_upstream_tries 3;',
    'proxy_next_upstream_timeout 10s;',
    // The instances set these themselves; nginx sets its own on every response.
    'proxy_hide_header X-Content-Type-Options;',
    'proxy_hide_header Referrer-Policy;',
    'proxy_hide_header X-Request-Id;',
    'proxy_http_version 1.1;',
    '',
    ...upstreamBlocks,
    '',
    ...plain,
    ...(secure.length ? ['', ...secure] : []),
    // The cluster's own reload check, on a Unix socket inside the prefix: nothing public.
    ...(drainControl
      ? [
          '',
          ...block('server', [
            `listen unix:${paths.controlSocket};`,
            'access_log off;',
            `location = /generation { default_type text/plain; return 200 "${generation}"; }`,
            'location / { return 404; }',
          ]),
        ]
      : []),
  ];

  return [
    '# Rendered by nginx/src/render.ts: edit that file, not this one.',
    ...(options.note ? [`# ${options.note}`] : []),
    ...(user ? [`user ${user};`] : []),
    `worker_processes ${workerProcesses};`,
    `pid ${quote(paths.pid)};`,
    `error_log ${quote(logs.error)} warn;`,
    // Old workers keep their WebSockets after a reload; bound how long they linger.
    'worker_shutdown_timeout 60s;',
    '',
    ...block('events', ['worker_connections 4096;']),
    '',
    ...block('http', http),
    '',
  ].join('\n');
}
