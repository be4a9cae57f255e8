import path from 'path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into the package (dist/dashboard), served by express under /dashboard: no CDN, works offline.
export default defineConfig({
  root: __dirname,
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: path.resolve(__dirname, '..', 'dist', 'dashboard'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
  },
  logLevel: 'warn',
});
