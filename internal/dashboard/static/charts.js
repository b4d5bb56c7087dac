// Time-series charts drawn with the vendored uPlot (the global `uPlot`).

const WINDOW = 3600; // seconds of history kept and shown
const HEIGHT = 200;

const axis = (extra = {}) => ({
  stroke: '#687180',
  font: '12px system-ui, sans-serif',
  grid: { stroke: '#eef0f3', width: 1 },
  ticks: { stroke: '#e3e6ea', width: 1 },
  ...extra,
});

// fromZero makes a scale start at 0 and leave some room above the highest point.
const fromZero = { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] };

// Chart is one uPlot chart of the last hour. series: [{label, color, format, fill?, scale?,
// stepped?}] (stepped: the value holds until the next point, as a count does); axes:
// the y axes, as uPlot takes them (scale, side, values).
export class Chart {
  constructor(el, { series, axes }) {
    this.data = [[], ...series.map(() => [])];
    const scales = { x: { time: true } };
    for (const s of series) scales[s.scale ?? 'y'] = fromZero;
    this.u = new uPlot({
      width: Math.max(el.clientWidth, 200),
      height: HEIGHT,
      scales,
      series: [
        { value: (_u, t) => (t == null ? '' : new Date(t * 1000).toLocaleTimeString()) },
        ...series.map((s) => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: s.color,
          fill: s.fill,
          width: 2,
          spanGaps: true,
          points: { show: false },
          paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
          value: (_u, v) => (v == null ? '–' : s.format(v)),
        })),
      ],
      axes: [axis(), ...axes.map((a) => axis({ size: 56, ...a }))],
      cursor: { drag: { x: false, y: false } },
    }, this.data, el);
    new ResizeObserver(() => {
      const width = Math.max(el.clientWidth, 200);
      if (width !== this.u.width) this.u.setSize({ width, height: HEIGHT });
    }).observe(el);
  }

  // add appends one point at t (seconds since the epoch); values in series order, null for none.
  add(t, values) {
    this.data[0].push(t);
    values.forEach((v, i) => this.data[i + 1].push(v));
    const cut = this.data[0].findIndex((x) => x >= t - WINDOW);
    if (cut > 0) for (const col of this.data) col.splice(0, cut);
    this.u.setData(this.data);
    if (this.u.cursor.left < 0) this.u.setLegend({ idx: this.data[0].length - 1 }); // the latest values
  }

  // points is how many points the chart holds.
  get points() {
    return this.data[0].length;
  }
}

// makeCharts builds the dashboard's charts in the elements with the given ids.
export function makeCharts(fmt) {
  const $ = (id) => document.getElementById(id);
  const ticks = (f) => (_u, splits) => splits.map((v) => (v == null ? '' : f(v)));
  return {
    connections: new Chart($('c-connections'), {
      series: [{ label: 'connections', color: '#2563eb', fill: 'rgba(37,99,235,.08)', format: fmt.count, stepped: true }],
      axes: [{ values: ticks(fmt.count), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }],
    }),
    rate: new Chart($('c-rate'), {
      series: [{ label: 'events/s', color: '#0d9488', fill: 'rgba(13,148,136,.08)', format: (v) => fmt.decimal(v) }],
      axes: [{ values: ticks((v) => fmt.decimal(v)) }],
    }),
    latency: new Chart($('c-latency'), {
      series: [
        { label: 'p50', color: '#60a5fa', format: fmt.ms },
        { label: 'p95', color: '#f59e0b', format: fmt.ms },
        { label: 'p99', color: '#dc2626', format: fmt.ms },
      ],
      axes: [{ values: ticks(fmt.ms) }],
    }),
    resources: new Chart($('c-resources'), {
      series: [
        { label: 'memory', color: '#7c3aed', fill: 'rgba(124,58,237,.07)', scale: 'bytes', format: fmt.bytes },
        { label: 'CPU %', color: '#ea580c', scale: 'pct', format: (v) => fmt.decimal(v) },
      ],
      axes: [
        { scale: 'bytes', values: ticks(fmt.bytes), size: 70 },
        { scale: 'pct', side: 1, values: ticks((v) => `${fmt.decimal(v)}%`), grid: { show: false }, size: 48 },
      ],
    }),
    network: new Chart($('c-network'), {
      series: [
        { label: 'sent/s', color: '#0891b2', fill: 'rgba(8,145,178,.08)', scale: 'bytes', format: fmt.perSecond },
        { label: 'delivered %', color: '#16a34a', scale: 'pct', format: fmt.percent },
      ],
      axes: [
        { scale: 'bytes', values: ticks(fmt.bytes), size: 70 },
        { scale: 'pct', side: 1, values: ticks((v) => `${fmt.decimal(v)}%`), grid: { show: false }, size: 48 },
      ],
    }),
  };
}
