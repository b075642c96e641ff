// The public server block: static SPA, /trpc (HTTP and WebSocket) to the instances, the
// micro-cache, per-IP limits, security headers, and nginx's own errors in tRPC's shape.
import { block, quote } from './syntax.ts';

export interface RateLimits {
  /** Every request per client IP, sustained rate per second. */
  requestsPerSecond: number;
  /** Requests per IP allowed above the rate at once (a page load, a reconnect wave). */
  burst: number;
  /** auth.login / auth.register per client IP per minute. */
  authPerMinute: number;
  authBurst: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { requestsPerSecond: 30, burst: 120, authPerMinute: 20, authBurst: 20 };

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

export interface ServerContext {
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
export function serverBlock({ webDist, limits, tls, rotation }: ServerContext, listen: string[]): string[] {
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
