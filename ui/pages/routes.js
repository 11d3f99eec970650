// The route table: each page by its path (Spark's paths).
import { jobsPage } from './jobs.js';
import { jobPage } from './job.js';
import { stagesPage } from './stages.js';
import { stagePage } from './stage.js';
import { executorsPage } from './executors.js';
import { storagePage } from './storage.js';
import { environmentPage } from './environment.js';
export { applications } from './applications.js';

const ROUTES = {
  '/jobs/': jobsPage,
  '/jobs/job/': jobPage,
  '/stages/': stagesPage,
  '/stages/stage/': stagePage,
  '/executors/': executorsPage,
  '/storage/': storagePage,
  '/environment/': environmentPage,
};

/** The page of a path, or undefined. */
export function route(path) {
  return ROUTES[path];
}
