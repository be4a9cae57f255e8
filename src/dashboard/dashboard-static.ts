import fs from 'fs';
import path from 'path';
import express from 'express';
import { mapError } from '../http/error-mappers';
import { NotFound } from '../http/faults';

export const DASHBOARD_PATH = '/dashboard';

/** The package root: the nearest folder above this file holding package.json (src/ under ts-jest, dist/src/ when built). */
function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}

/** Where `npm run build` writes the dashboard (vite, web/vite.config.ts). */
export function dashboardDir(): string {
  return path.join(packageRoot(__dirname), 'dist', 'dashboard');
}

/**
 * The dashboard's built files under /dashboard, and `/` redirecting there. The single-page app
 * routes in the browser: any /dashboard/<page> that is not a file gets index.html. The app
 * itself talks to the public APIs only, like any other client.
 */
export function dashboardRouter(dir = dashboardDir()): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => res.redirect(302, `${DASHBOARD_PATH}/`));
  router.use(DASHBOARD_PATH, express.static(dir, { index: 'index.html', fallthrough: true, redirect: true }));
  router.get(`${DASHBOARD_PATH}{/*rest}`, (req, res) => {
    const index = path.join(dir, 'index.html');
    // A missing asset is a 404, never the page; a page path gets the app.
    if (!fs.existsSync(index) || path.extname(req.path) !== '') {
      const mapped = mapError('snapstack', new NotFound(fs.existsSync(index) ? undefined : 'The dashboard is not built: run npm run build.'));
      res.status(mapped.status).json(mapped.body);
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  return router;
}
