// TV mode: the grid of tiles sized to fill the screen, and the full-screen button.
import { bestGrid } from '../lib/grid.js';
import { $, setStatus } from './dom.js';
import type { BoardState } from './state.js';

/** TV mode: `?tv=1`, or automatically on a large window (`?tv=0` turns it off). */
export function tvWanted(query: URLSearchParams): boolean {
  const q = query.get('tv');
  if (q !== null) return q === '1' || q === 'true';
  return window.innerWidth >= 1600 && window.innerHeight >= 850;
}

/** Sizes the grid so the tiles are as large as they can be for their number and the screen. */
export function layoutTiles(board: BoardState): void {
  const tv = tvWanted(board.query);
  document.body.classList.toggle('tv', tv);
  const grid = $('#tiles');
  if (!tv) {
    grid.style.removeProperty('--tile-w');
    grid.style.removeProperty('--tile-h');
    return;
  }
  const box = grid.getBoundingClientRect();
  const gap = parseFloat(getComputedStyle(grid).rowGap) || 0;
  const g = bestGrid(board.tiles.size, box.width, box.height, gap);
  // Rounded down so rounding never pushes a tile onto an extra row.
  grid.style.setProperty('--tile-w', `${Math.floor(g.tileWidth * 100) / 100}px`);
  grid.style.setProperty('--tile-h', `${Math.floor(g.tileHeight * 100) / 100}px`);
  grid.dataset.rows = String(g.rows);
  grid.dataset.cols = String(g.cols);
}

function toggleFullscreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void document.documentElement.requestFullscreen().catch((err: unknown) => setStatus(`full screen refused: ${(err as Error).message}`));
}

/** Re-lays the grid when the window or the tile area changes size. */
export function wireTvLayout(board: BoardState): void {
  $('#fullscreen').addEventListener('click', toggleFullscreen);
  new ResizeObserver(() => layoutTiles(board)).observe($('#tiles'));
  window.addEventListener('resize', () => layoutTiles(board));
  layoutTiles(board);
}
