// Renders the cluster's nginx.conf from a handful of values: the instance list is data, so three
// instances or thirty is one number. Every path nginx writes to lives inside the prefix dir.
import { join } from 'node:path';
import { SESSION_COOKIE } from '@shop/auth';
import { CONTAINER_OPEN_FILES, type WorkerCapacity, workerCapacity } from './capacity.ts';
import { drainFlag, prefixPaths } from './prefix.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits, serverBlock } from './server-block.ts';
import { block, quote } from './syntax.ts';

export interface UpstreamServer {
  /** Instance name (i1, i2, …): names its drain flag file. */
  name: string;
  port: number;
  host?: string;
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
   * With `tls`: the plain HTTP server only redirects to HTTPS on its default port (443, as a load
   * balancer in front publishes it), instead of serving the shop too. Default false.
   */
  httpsRedirect?: boolean;
  /**
   * The workers' user (and group) when the master runs as root, e.g. `nobody nogroup` (see
   * workerUser); never root. nginx hands its temp and cache folders to that user at start.
   */
  user?: string | undefined;
  /** Workers, connections and open files (capacity.ts); default: for 20,000 sockets in a container (two cores assumed). */
  capacity?: WorkerCapacity;
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

/** Ports of `count` instances numbered from `first`: 3 → [3001, 3002, 3003]. */
export function instancePorts(count: number, first = 3001): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

export function renderNginxConfig(options: RenderOptions): string {
  const { prefix, httpPort, upstreams, webDist, tls, user, generation = 0, drainControl = true } = options;
  const capacity = options.capacity ?? workerCapacity({ openFiles: CONTAINER_OPEN_FILES });
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
  if (options.httpsRedirect && !tls) throw new Error('httpsRedirect needs tls');
  const plain = options.httpsRedirect
    ? block('server', [
        `listen ${host}:${httpPort} reuseport;`,
        'server_name _;',
        // Secure session cookies never travel over plain HTTP: every request moves to HTTPS.
        'location / { return 301 https://$host$request_uri; }',
      ])
    : serverBlock({ webDist, limits, tls: false, rotation }, [`listen ${host}:${httpPort} reuseport;`]);
  const secure = tls
    ? serverBlock({ webDist, limits, tls: true, rotation }, [
        `listen ${host}:${tls.port} ssl reuseport;`,
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
    `worker_processes ${capacity.workerProcesses};`,
    `worker_rlimit_nofile ${capacity.openFiles};`,
    `pid ${quote(paths.pid)};`,
    `error_log ${quote(logs.error)} warn;`,
    // Old workers keep their WebSockets after a reload; bound how long they linger.
    'worker_shutdown_timeout 60s;',
    '',
    ...block('events', [`worker_connections ${capacity.workerConnections};`]),
    '',
    ...block('http', http),
    '',
  ].join('\n');
}
