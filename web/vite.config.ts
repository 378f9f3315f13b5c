/**
 * Builds the dashboard (`npm run build:web`) into `dist/web/`, which `baton server` serves
 * at `/`: `index.html` plus hashed files under `/assets/` (served with immutable caching).
 * `npm run dev:web` serves it with hot reload and proxies the API to a local `baton server`
 * (BATON_DEV_API, default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.BATON_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The server's Content-Security-Policy forbids inline scripts and styles: every asset is a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    chunkSizeWarningLimit: 900,
  },
  server: { proxy: { '/api': { target: api, changeOrigin: false } } },
});
