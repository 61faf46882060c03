import { availableParallelism } from 'node:os';
import react from '@vitejs/plugin-react';
import type { HtmlTagDescriptor, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The entry (src/main.tsx) is tiny and imports the app (src/start.tsx) on demand, so the first API
 * requests start at once; index.html names the app's chunks and CSS too, so the browser fetches
 * them alongside the entry rather than after it (docs/DECISIONS.md, "Console").
 */
function preloadApp(): Plugin {
  return {
    name: 'preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        const chunks = Object.values(context.bundle ?? {});
        const app = chunks.find(
          (chunk) => chunk.type === 'chunk' && chunk.moduleIds.some((id) => id.endsWith('/src/start.tsx')),
        );
        if (app?.type !== 'chunk') throw new Error('preload-app: no chunk holds src/start.tsx');
        const entries = new Set(chunks.filter((c) => c.type === 'chunk' && c.isEntry).map((c) => c.fileName));
        const tags: HtmlTagDescriptor[] = [
          app.fileName,
          ...app.imports.filter((file) => !entries.has(file)),
        ].map((fileName) => ({
          tag: 'link',
          attrs: { rel: 'preload', as: 'script', crossorigin: true, href: `/${fileName}` },
          injectTo: 'head',
        }));
        // Fetched now, applied when the app imports it: a stylesheet in <head> would hold the entry
        // back until it had loaded and parsed.
        for (const css of app.viteMetadata?.importedCss ?? []) {
          tags.push({
            tag: 'link',
            attrs: { rel: 'preload', as: 'style', crossorigin: true, href: `/${css}` },
            injectTo: 'head',
          });
        }
        return tags;
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), preloadApp()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: false },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    // Each file still gets a fresh module registry and jsdom, in a vm context of a worker thread
    // rather than a child process, and every core runs one: nothing else runs beside this step of
    // `npm test` (docs/DECISIONS.md, "Console unit tests in vm contexts, on every core").
    pool: 'vmThreads',
    poolOptions: { vmThreads: { minThreads: availableParallelism(), maxThreads: availableParallelism() } },
  },
});
