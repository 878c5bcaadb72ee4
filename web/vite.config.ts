import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const pages = fileURLToPath(new URL('./src/pages', import.meta.url));
const page = (name: string) => fileURLToPath(new URL(`./src/pages/${name}.html`, import.meta.url));

/** The browser pages: plain TypeScript, built into web/dist and served by fastify. */
export default defineConfig({
  root: pages,
  base: '/',
  logLevel: 'warn',
  // Our packages export their TypeScript under the `source` condition; the rest are Vite's client defaults.
  resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: { input: { index: page('index'), athlete: page('athlete'), overlay: page('overlay'), admin: page('admin'), app: page('app/index') } },
  },
});
