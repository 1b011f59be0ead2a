// Herald dashboard: the entry point. The screens register their routes
// when loaded; then the session is opened and the first screen shown.
import './views.js';
import './webhook.js';
import { start } from './core.js';

start();
