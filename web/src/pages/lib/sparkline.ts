/** A two-minute heart-rate line on a canvas: cheap enough to redraw fifty times a second. */
export class Sparkline {
  private readonly points: { t: number; v: number }[] = [];
  constructor(private readonly canvas: HTMLCanvasElement, private readonly windowMs = 120_000) {}

  push(t: number, v: number): void {
    const last = this.points[this.points.length - 1];
    if (last && t <= last.t) return;
    this.points.push({ t, v });
    const cutoff = t - this.windowMs;
    while (this.points.length > 0 && this.points[0]!.t < cutoff) this.points.shift();
  }

  get length(): number {
    return this.points.length;
  }

  draw(color: string, now = Date.now()): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (w === 0 || h === 0) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const pts = this.points.filter((p) => p.t >= now - this.windowMs);
    if (pts.length < 2) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of pts) {
      lo = Math.min(lo, p.v);
      hi = Math.max(hi, p.v);
    }
    const pad = Math.max(5, (hi - lo) * 0.15);
    lo -= pad;
    hi += pad;
    // Until the window has filled, what there is spans the width (a line, not a speck at the edge).
    const from = Math.max(now - this.windowMs, pts[0]!.t);
    const span = Math.max(1, now - from);
    const x = (t: number) => ((t - from) / span) * w;
    const y = (v: number) => h - ((v - lo) / (hi - lo)) * h;
    g.lineWidth = 2;
    g.lineJoin = 'round';
    g.strokeStyle = color;
    g.beginPath();
    pts.forEach((p, i) => (i === 0 ? g.moveTo(x(p.t), y(p.v)) : g.lineTo(x(p.t), y(p.v))));
    g.stroke();
  }
}
