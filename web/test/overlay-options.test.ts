import { describe, expect, it } from 'vitest';
import { luminance, outlineFor, OVERLAY_STYLES, overlayQuery, parseOverlayOptions, styleDefaults, type OverlayOptions } from '../src/pages/lib/overlay-options.js';

// The designer writes overlayQuery(); the overlay page reads parseOverlayOptions(): a URL the
// designer builds must give the overlay exactly the options the designer shows.
describe('overlay options', () => {
  const variants: OverlayOptions[] = OVERLAY_STYLES.flatMap((style) => [
    { style, size: 96, color: '#ffffff', zoneColor: true, ...styleDefaults(style), label: '', shadow: true, font: '', align: 'left' as const, hideLost: false },
    { style, size: 140, color: '#ffd166', zoneColor: false, spark: !styleDefaults(style).spark, unit: !styleDefaults(style).unit, label: 'Heart rate & more', shadow: false, font: 'Inter', align: 'center' as const, hideLost: true },
  ]);

  it('round-trips every style with default and changed options', () => {
    for (const o of variants) expect(parseOverlayOptions(overlayQuery(o))).toEqual(o);
  });

  it('writes only what differs from the defaults', () => {
    expect(overlayQuery(variants[0]!).toString()).toBe('');
    expect(overlayQuery({ ...variants[0]!, style: 'card', spark: true }).toString()).toBe('style=card');
    expect(overlayQuery({ ...variants[0]!, style: 'minimal', unit: false, spark: false }).toString()).toBe('style=minimal');
  });

  it('ignores unknown or unsafe values', () => {
    const o = parseOverlayOptions(new URLSearchParams('style=fancy&size=9000&color=url(x)&font=%3Cscript%3E&align=middle'));
    expect(o).toMatchObject({ style: 'heart', size: 96, color: '#ffffff', font: '', align: 'left' });
  });

  it('outlines light digits in dark and dark digits in light', () => {
    expect(luminance('#ffffff')).toBeCloseTo(1, 5);
    expect(luminance('#000')).toBe(0);
    expect(outlineFor('#ffffff')).toMatch(/^rgba\(0, 0, 0/);
    expect(outlineFor('#f2c12e')).toMatch(/^rgba\(0, 0, 0/);
    expect(outlineFor('#161616')).toMatch(/^rgba\(255, 255, 255/);
  });
});
