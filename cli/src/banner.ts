/**
 * The start banner's dashboard line. In development it carries a recorded 12 h admin token so
 * the first run is one click; in production a token on stdout would end up in service logs,
 * so it only says how to mint one.
 */
export async function dashboardLine(mode: 'development' | 'production', url: string, mintAdmin: () => Promise<string>): Promise<string> {
  if (mode === 'production') return `  Dashboard   ${url}   (sign in with an admin token: pnpm pulsehub token admin <your-name>)`;
  return `  Dashboard   ${url}/?token=${await mintAdmin()}   (admin, valid 12 h)`;
}
