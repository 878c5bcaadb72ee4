/**
 * The overlay's query parameters: read by the overlay page, written by the designer on the
 * athlete page, so the designer's URL shows exactly what its preview shows.
 */
export const OVERLAY_STYLES = ['heart', 'minimal', 'card'] as const;
export type OverlayStyle = (typeof OVERLAY_STYLES)[number];
export const OVERLAY_STYLE_NAMES: Record<OverlayStyle, string> = { heart: 'Heart + number', minimal: 'Minimal number', card: 'Number + sparkline card' };

export interface OverlayOptions {
  style: OverlayStyle;
  /** Font size in px (12–600). */
  size: number;
  /** Text colour when the zone does not colour it. */
  color: string;
  zoneColor: boolean;
  spark: boolean;
  label: string;
  unit: boolean;
  /** Outline and shadow (legible over light and dark video). */
  shadow: boolean;
  font: string;
  align: 'left' | 'center' | 'right';
  hideLost: boolean;
}

export const DEFAULT_SIZE = 96;
export const DEFAULT_COLOR = '#ffffff';

/** Defaults that depend on the style: the card shows a sparkline, the minimal number no unit. */
export function styleDefaults(style: OverlayStyle): Pick<OverlayOptions, 'spark' | 'unit'> {
  return { spark: style === 'card', unit: style !== 'minimal' };
}

const truthy = (v: string) => !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
const COLOR = /^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]{3,20}$|^rgba?\([\d\s.,%]+\)$/;

export function parseOverlayOptions(q: URLSearchParams): OverlayOptions {
  const style = (OVERLAY_STYLES as readonly string[]).includes(q.get('style') ?? '') ? (q.get('style') as OverlayStyle) : 'heart';
  const d = styleDefaults(style);
  const flag = (name: string, dflt: boolean) => (q.has(name) ? truthy(q.get(name)!) : dflt);
  const size = Number(q.get('size'));
  const color = q.get('color') ?? '';
  const font = q.get('font') ?? '';
  const align = q.get('align');
  return {
    style,
    size: size >= 12 && size <= 600 ? size : DEFAULT_SIZE,
    color: COLOR.test(color) ? color : DEFAULT_COLOR,
    zoneColor: flag('zoneColor', true),
    spark: flag('spark', d.spark),
    label: (q.get('label') ?? '').slice(0, 60),
    unit: flag('unit', d.unit),
    shadow: flag('shadow', true),
    font: /^[\w\s,"'-]{1,80}$/.test(font) ? font : '',
    align: align === 'center' || align === 'right' ? align : 'left',
    hideLost: flag('hideLost', false),
  };
}

/** The query parameters that differ from the defaults (a short URL that reproduces the options). */
export function overlayQuery(o: OverlayOptions): URLSearchParams {
  const q = new URLSearchParams();
  const d = styleDefaults(o.style);
  if (o.style !== 'heart') q.set('style', o.style);
  if (o.size !== DEFAULT_SIZE) q.set('size', String(o.size));
  if (o.color.toLowerCase() !== DEFAULT_COLOR) q.set('color', o.color);
  if (!o.zoneColor) q.set('zoneColor', '0');
  if (o.spark !== d.spark) q.set('spark', o.spark ? '1' : '0');
  if (o.label) q.set('label', o.label);
  if (o.unit !== d.unit) q.set('unit', o.unit ? '1' : '0');
  if (!o.shadow) q.set('shadow', '0');
  if (o.font) q.set('font', o.font);
  if (o.align !== 'left') q.set('align', o.align);
  if (o.hideLost) q.set('hideLost', '1');
  return q;
}

/** Relative luminance (WCAG) of a #rgb/#rrggbb colour; other notations count as light. */
export function luminance(color: string): number {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})/i.exec(color);
  if (!m) return 1;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The outline for a text colour: dark around light digits, light around dark ones. */
export function outlineFor(color: string): string {
  return luminance(color) > 0.18 ? 'rgba(0, 0, 0, .85)' : 'rgba(255, 255, 255, .9)';
}
