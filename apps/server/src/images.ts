import { createHash } from 'node:crypto';

// Demo product images, drawn from the slug: no image files to ship, and the same picture every time.

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function productSvg(slug: string): string {
  const digest = createHash('sha1').update(slug).digest();
  const hue = ((digest[0] ?? 0) * 360) / 256;
  const hue2 = (hue + 40 + ((digest[1] ?? 0) % 60)) % 360;
  const words = slug.replace(/-\d+$/, '').split('-');
  const initials = escapeXml(
    words
      .slice(-2)
      .map((w) => w.charAt(0).toUpperCase())
      .join(''),
  );
  const shape = (digest[2] ?? 0) % 3;
  const figure =
    shape === 0
      ? '<circle cx="200" cy="170" r="90" fill="rgba(255,255,255,.28)"/>'
      : shape === 1
        ? '<rect x="115" y="85" width="170" height="170" rx="28" fill="rgba(255,255,255,.28)"/>'
        : '<path d="M200 70 L300 250 L100 250 Z" fill="rgba(255,255,255,.28)"/>';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue.toFixed(0)},55%,55%)"/><stop offset="1" stop-color="hsl(${hue2.toFixed(0)},60%,38%)"/></linearGradient></defs>
<rect width="400" height="400" fill="url(#g)"/>${figure}
<text x="200" y="195" font-family="system-ui,sans-serif" font-size="72" font-weight="700" fill="#fff" text-anchor="middle" dominant-baseline="middle">${initials}</text>
</svg>`;
}

export const PRODUCT_IMAGE_PATH = /^\/img\/products\/([a-z0-9-]{1,120})\.svg$/;
