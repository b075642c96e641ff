import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// In development the API server runs beside Vite (pnpm dev) on PORT; Vite proxies to it.
const apiTarget = `http://127.0.0.1:${process.env.PORT ?? 3000}`;

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      '/trpc': { target: apiTarget, ws: true, changeOrigin: false },
      '/img': { target: apiTarget },
    },
  },
  build: {
    target: 'es2022',
    // Maps would publish the whole client source next to the bundle (Nginx serves everything in
    // dist); the dev server has its own maps regardless.
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
  },
});
