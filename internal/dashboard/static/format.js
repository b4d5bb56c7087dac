// Number and time formatting for the dashboard, and a small DOM helper.

const grouped = new Intl.NumberFormat('en-US');

// count writes a whole number with thousands separators.
export const count = (n) => (n == null ? '–' : grouped.format(Math.round(n)));

// decimal writes n with at most `digits` decimals (fewer for larger numbers).
export function decimal(n, digits = 1) {
  if (n == null || Number.isNaN(n)) return '–';
  if (Math.abs(n) >= 100) digits = 0;
  return n.toFixed(digits).replace(/\.0+$/, '');
}

// bytes writes a size in KiB, MiB or GiB.
export function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${decimal(n, 1)} ${units[i]}`;
}

// perSecond writes a rate of bytes: 1.2 KiB/s.
export const perSecond = (n) => (n == null ? '–' : `${bytes(n)}/s`);

// percent writes a share in %, with more decimals the closer it is to 100: 99.95%, 80%.
export function percent(n) {
  if (n == null || Number.isNaN(n)) return '–';
  return `${n >= 99 && n < 100 ? n.toFixed(2).replace(/0+$/, '') : decimal(n)}%`;
}

// protocol writes an HTTP protocol shortly: HTTP/1.1, HTTP/2.
export const protocol = (p) => (p || '?').replace(/^HTTP\/(\d)\.0$/, 'HTTP/$1');

// ms writes a latency in milliseconds.
export const ms = (n) => (n == null ? '–' : `${decimal(n, n < 10 ? 1 : 0)}`);

// duration writes a number of seconds as its two largest units: 42s, 5m 3s, 2h 10m, 3d 4h.
export function duration(seconds) {
  let s = Math.max(0, Math.floor(seconds));
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

// since writes how long ago t (a date string) was.
export const since = (t, now = Date.now()) => duration((now - Date.parse(t)) / 1000);

// clock writes the time of day of a date string, with milliseconds.
export function clock(t) {
  const d = t ? new Date(t) : new Date();
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// el makes an element with attributes (text is its textContent) and children.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.filter((c) => c != null));
  return e;
}
