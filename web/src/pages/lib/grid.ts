/**
 * TV mode: the grid (rows × cols) that makes the tiles largest for `n` athletes in a
 * `width` × `height` area. Tiles stretch to fill their cell; what a tile can show is bounded
 * by the smaller of its height and its width / `aspect` (the tile content is laid out for
 * `aspect` : 1), so that is what is maximised. Ties go to fewer empty cells, then to more
 * columns (a wide screen).
 */
export interface Grid { rows: number; cols: number; tileWidth: number; tileHeight: number }

export function bestGrid(n: number, width: number, height: number, gap = 12, aspect = 1.6): Grid {
  const count = Math.max(1, Math.floor(n));
  let best: Grid & { score: number; empty: number } | null = null;
  for (let rows = 1; rows <= count; rows++) {
    const cols = Math.ceil(count / rows);
    if ((rows - 1) * cols >= count) continue; // a whole row would be empty
    const tileWidth = (width - (cols - 1) * gap) / cols;
    const tileHeight = (height - (rows - 1) * gap) / rows;
    if (tileWidth <= 0 || tileHeight <= 0) continue;
    const score = Math.min(tileHeight, tileWidth / aspect);
    const empty = rows * cols - count;
    if (!best || score > best.score + 1e-9 || (Math.abs(score - best.score) <= 1e-9 && (empty < best.empty || (empty === best.empty && cols > best.cols)))) {
      best = { rows, cols, tileWidth, tileHeight, score, empty };
    }
  }
  if (!best) return { rows: 1, cols: count, tileWidth: 0, tileHeight: 0 };
  return { rows: best.rows, cols: best.cols, tileWidth: best.tileWidth, tileHeight: best.tileHeight };
}
