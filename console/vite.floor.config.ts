import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The floor page of bench section 12 (floor/main.tsx), built on its own into dist-floor/; never shipped. */
export default defineConfig({
  root: 'floor',
  base: '/',
  plugins: [react()],
  build: { outDir: '../dist-floor', emptyOutDir: true, chunkSizeWarningLimit: 4000, sourcemap: false },
});
